"""The mistakes of a flow file were said at the config file's line, one a run.

As an operator saw it: ``config check`` on a config naming ``flows: {f1: {file:
bad.yaml}}`` blamed every mistake of ``bad.yaml`` on the config file's line of that
reference, and said the mistakes of how the steps hang together (two steps of one id, a
``next`` to nowhere, an unknown ``{placeholder}``) one per run: four runs to fix four.
README promises each problem with its file, its line and its key, all at once, one a
line.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.botprocess import run_command

MISTYPED = """start: [go]
steps:
  - id: a
    ask: "Q?"
    input: txt
end: "Done."
"""

TANGLED = """start: [go]
steps:
  - id: a
    ask: "Q {nothere}?"
  - id: a
    ask: "Again?"
    next: nowhere
end: "Done."
"""


async def check(tmp_path: Path, flow: str) -> tuple[str, str]:
    (tmp_path / "flow.yaml").write_text(flow, encoding="utf-8")
    config = tmp_path / "switchboard.yaml"
    config.write_text(
        f"automation:\n  flows:\n    f1: {{file: {tmp_path / 'flow.yaml'}}}\n", encoding="utf-8"
    )
    code, out, err = await run_command(dict(os.environ), "config", "check", str(config))
    assert code == 2, (out, err)
    return err, str(tmp_path / "flow.yaml")


async def test_a_flow_files_mistake_names_its_line(tmp_path: Path) -> None:
    err, flow = await check(tmp_path, MISTYPED)
    assert err.startswith(f"{flow}:5: automation.flows.f1.steps[0].input:"), err


async def test_every_tangle_is_said_at_once(tmp_path: Path) -> None:
    err, flow = await check(tmp_path, TANGLED)
    lines = err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith(f"{flow}:") for line in lines), err
    said = ("two steps are called 'a'", "next 'nowhere'", "{nothere}")
    for words, line in zip(said, lines, strict=True):
        assert words in line, err
