"""With ``LOG_FORMAT=json`` (the default when stderr is no terminal: Docker, systemd), a
start refused (Redis out of reach, the port taken) wrote its reason as a bare line between
the JSON ones, which a JSON log collector cannot read; under ``serve --workers``, every
replacement worker that found Redis down wrote one more. It is a ``critical`` JSON line
now; with ``LOG_FORMAT=text`` it is the bare line it was."""

from __future__ import annotations

import json

import pytest

from tests.config_run import environment, run_bot
from tests.conftest import free_port


@pytest.mark.parametrize("args", [(), ("serve", "--workers", "2")])
async def test_a_refused_start_is_a_json_line_in_a_json_log(args: tuple[str, ...]) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    code, output = await run_bot(environment(REDIS_URL=url, LOG_FORMAT="json"), *args)
    assert code == 2, output
    lines = [json.loads(line) for line in output.splitlines() if line]  # each one is JSON
    refused = [line for line in lines if line["level"] == "critical"]
    assert [line["event"].split(": cannot connect")[0] for line in refused] == [f"REDIS_URL={url}"]


async def test_a_refused_start_is_a_bare_line_in_a_text_log() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    code, output = await run_bot(environment(REDIS_URL=url, LOG_FORMAT="text"))
    assert code == 2, output
    assert f"\nREDIS_URL={url}: cannot connect (" in "\n" + output
