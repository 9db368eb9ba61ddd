"""The README's own ``team:`` example gave Sam the phone ``+447700900456``, a number of
the range kept for drama, which no network reaches. The config took it, and every
``POST /v1/notifications/{id}/test`` answered ``{"to": "phone:+447700900456", "skipped":
"invalid_number"}``: the test never went, and nothing had said why before.

What must hold: a team member's phone that is not a number in use stops the start, in one
line naming it, as any other mistake of the file does."""

from __future__ import annotations

from pathlib import Path

from tests.config_run import environment, refusal_lines, run_bot


async def test_a_team_phone_no_test_could_reach_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "team:\n  - {email: sam@example.com, name: Sam, phone: '+447700900456'}\n",
        encoding="utf-8",
    )
    code, output = await run_bot(environment(path))
    assert code == 2, output
    assert refusal_lines(output) == [
        f"{path}:2: team[0].phone: '+447700900456' is not a number in use: no test could reach it"
    ]
    assert "Traceback" not in output
