"""Misspelt keys (``automaton:``, ``welcom:``, ``delivery.timout``) were ignored, so the
setting silently kept its default. The start is refused, each key named with its line."""

from __future__ import annotations

from pathlib import Path

from tests.config_run import environment, refusal_lines, run_bot

FILE = """\
automaton:
  welcome: "Hello"
automation:
  welcom: "Hello"
delivery:
  timout: 30
"""


async def test_unknown_keys_stop_the_start_naming_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(FILE, encoding="utf-8")
    code, output = await run_bot(environment(path))
    assert code == 2, output
    assert refusal_lines(output) == [
        f"{path}:1: automaton: unknown key (did you mean automation?)",
        f"{path}:4: automation.welcom: unknown key (did you mean welcome?)",
        f"{path}:6: delivery.timout: unknown key (did you mean timeout?)",
    ]
    assert "Traceback" not in output


async def test_unknown_keys_in_a_service_and_a_team_member_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "services:\n"
        "  - {name: crm, url: 'http://127.0.0.1:9/h', secret: s, masking: false}\n"
        "team:\n"
        "  - {email: ann@example.com, rolle: admin}\n",
        encoding="utf-8",
    )
    code, output = await run_bot(environment(path))
    assert code == 2, output
    assert refusal_lines(output) == [
        f"{path}:2: services[0].masking: unknown key (did you mean mask?)",
        f"{path}:4: team[0].rolle: unknown key (did you mean role?)",
    ]
