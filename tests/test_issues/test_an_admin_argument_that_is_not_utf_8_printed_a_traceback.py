"""``python bot.py admin note $'\\xff'`` (an argument whose bytes are not UTF-8, which
Linux hands Python as lone surrogates) printed a traceback when redis-py could not encode
it, for the team's audit log or for the command's own keys. Every admin command now
refuses such an argument in one usage line that names it, exit 2, before it reaches the
store. A file's name is any bytes the system allows: ``admin import`` still reads one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.test_admin_profiles import environment

NOT_UTF8 = os.fsdecode(b"caf\xe9")
"""``café`` in Latin-1, as Python receives it from the command line: ``caf\\udce9``."""


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (("note", NOT_UTF8, "a note"), "admin note: error: argument CONVERSATION"),
        (("reply", "c_3f2a9b", "hello", NOT_UTF8), "admin reply: error: argument TEXT"),
        (
            ("claim", "c_3f2a9b", "--agent", NOT_UTF8),
            "admin claim: error: argument --agent",
        ),
        (("services", "attach", NOT_UTF8), "admin services attach: error: argument NAME"),
        (("optout", NOT_UTF8), "admin optout: error: argument CONVERSATION"),
    ],
)
async def test_an_argument_that_is_not_utf_8_is_one_usage_line_naming_it(
    real_redis: Redis, prefix: str, args: tuple[str, ...], refusal: str
) -> None:
    code, out, err = await run_command(environment(prefix), "admin", *args, timeout=60)
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    assert err.splitlines() == [
        f"python bot.py {refusal}: 'caf\\xe9' is not UTF-8 text (check the terminal's encoding)"
    ]
    assert [key async for key in real_redis.scan_iter(match=f"{prefix}*")] == []


async def test_a_file_name_that_is_not_utf_8_is_still_imported(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    contacts = tmp_path / f"{NOT_UTF8}.csv"
    contacts.write_text("phone,name\n+447700900123,Ann\n", encoding="utf-8")
    code, out, err = await run_command(
        environment(prefix), "admin", "import", str(contacts), timeout=60
    )
    assert code == 0, err
    assert "profiles created          1" in out
