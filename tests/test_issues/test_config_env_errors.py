"""Bad environment variables were taken (``PUBLIC_URL=not-a-url``, ``DEFAULT_REGION=XX``)
or ended in tracebacks of 25 to 70 lines, each followed by "Unclosed client session"
(``PORT=99999``, ``HOST=256.1.1.1``, a short ``SWITCHBOARD_LINK_SECRET``, an unreachable
``REDIS_URL``). Each is now one line naming the variable, and exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.botprocess import free_port
from tests.config_run import environment, refusal_lines, run_bot


@pytest.mark.parametrize(
    ("name", "value", "refusal"),
    [
        ("PORT", "99999", "PORT=99999: must be between 1 and 65535"),
        ("PORT", "http", "PORT=http: must be a whole number"),
        ("HOST", "256.1.1.1", "HOST=256.1.1.1: must be an IP address or a hostname"),
        ("PUBLIC_URL", "not-a-url", "PUBLIC_URL=not-a-url: must be an http(s) URL"),
        ("DEFAULT_REGION", "XX", "DEFAULT_REGION=XX: must be a region code"),
        ("SWITCHBOARD_SHARDS", "0", "SWITCHBOARD_SHARDS=0: must be at least 1"),
        (
            "SWITCHBOARD_LINK_SECRET",
            "too-short",
            "SWITCHBOARD_LINK_SECRET: must be at least 16 characters long",
        ),
    ],
)
async def test_a_bad_variable_is_one_line_naming_it(name: str, value: str, refusal: str) -> None:
    code, output = await run_bot(environment(**{name: value}))
    assert code == 2, output
    [line] = refusal_lines(output)
    assert line.startswith(refusal)
    assert "Traceback" not in output and "Unclosed" not in output
    if name == "SWITCHBOARD_LINK_SECRET":
        assert value not in output


@pytest.mark.parametrize("args", [(), ("serve", "--workers", "2")])
async def test_an_unreachable_redis_is_one_line_with_its_password_masked(
    args: tuple[str, ...],
) -> None:
    url = f"redis://:hunter2-from-the-test@127.0.0.1:{free_port()}/0"
    code, output = await run_bot(environment(REDIS_URL=url), *args)
    assert code == 2, output
    [line] = refusal_lines(output)
    masked = url.replace("hunter2-from-the-test", "***")
    assert line.startswith(f"REDIS_URL={masked}: cannot connect (")
    assert "hunter2" not in output
    assert "Traceback" not in output and "Unclosed" not in output


async def test_the_start_log_names_the_config_file_or_says_there_is_none(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # the start stops right after the log line
    _, output = await run_bot(environment("switchboard.yaml", REDIS_URL=url))
    assert "configuration file: switchboard.yaml" in output
    env = environment(REDIS_URL=url)
    del env["SWITCHBOARD_CONFIG"]
    _, output = await run_bot(env, cwd=tmp_path)
    assert "configuration file: none found" in output
