"""With ``LOG_FORMAT=json`` (the default off a terminal, as in a container), a start the
configuration refused (``PORT=99999``, an unknown key in the file, a channel half set up)
wrote plain text on stderr, where the other refusals (Redis out of reach, a port taken)
are JSON log lines: a JSON log collector got an unreadable line for exactly the errors that
stop a deployment. Each problem is a ``critical`` JSON line now."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.config_run import environment, run_bot


@pytest.mark.parametrize(
    ("variables", "file", "problems"),
    [
        ({"PORT": "99999"}, "", ["PORT=99999: must be between 1 and 65535"]),
        (
            {},
            "automaton: {}\nservices: [{name: x}]\n",
            ["automaton: unknown key", "services[0].url: is required"],
        ),
    ],
)
async def test_each_problem_is_a_json_log_line(
    tmp_path: Path, variables: dict[str, str], file: str, problems: list[str]
) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(file, encoding="utf-8")
    env = environment(LOG_FORMAT="json", SWITCHBOARD_CONFIG=str(config), **variables)
    code, output = await run_bot(env)
    assert code == 2, output
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert all(line["level"] == "critical" for line in lines), lines
    said = [line["event"] for line in lines]
    for problem in problems:
        assert any(problem in event for event in said), said
