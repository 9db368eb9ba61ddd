"""``python bot.py admin role ann@example.com`` answered "Usage: /role [<email|telegram id>
<viewer|agent|admin>]", the team chat's syntax, and ``admin reply --help`` showed only
``[arguments ...]``: the command line now words its own usage, exit 2."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.cli.main import build_parser
from tests.botprocess import run_command
from tests.test_admin_profiles import environment
from tests.test_cli_help import parsers


def test_the_help_declares_the_arguments() -> None:
    helps = {p.prog: p.format_help() for p in parsers(build_parser("python bot.py"))}
    assert "``" not in helps["python bot.py"]
    for name in ("reply", "claim", "detach", "role", "forget", "inbox", "optout", "note"):
        text = helps[f"python bot.py admin {name}"]
        assert "[arguments ...]" not in text and "Example" in text, name


async def test_a_usage_error_names_the_command_line(real_redis: Redis, prefix: str) -> None:
    code, out, err = await run_command(environment(prefix), "admin", "role", "ann@example.com")
    assert code == 2 and out == ""
    assert err == (
        "usage: python bot.py admin role [-h] [MEMBER] [ROLE]\n"
        "python bot.py admin role: error: give a MEMBER and a ROLE, or neither (see --help)\n"
    )
    assert "/role" not in err and "Traceback" not in err
    code, _, err = await run_command(environment(prefix), "admin", "inbox", "99")
    assert code == 2 and err.startswith("usage: python bot.py admin inbox [-h] [N]\n")
    assert "error: N is a number from 1 to 50" in err
    assert "Usage: /inbox" not in err
