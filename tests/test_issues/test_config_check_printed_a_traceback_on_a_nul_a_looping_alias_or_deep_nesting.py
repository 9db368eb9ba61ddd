"""``config check`` (and ``serve`` at its start) printed a Python traceback for a file
holding a NUL character, for an alias inside the value it names (``a: &x [*x]``) and for
lists nested 100,000 deep. Each is now one line naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.yamlfile import MAX_DEPTH
from tests.config_run import config_check


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        (
            'automation:\n  welcome: "a\0b"\n',
            ":2: not valid YAML: unacceptable character #x0000: special characters are not allowed",
        ),
        ("a: &x [*x]\n", ":1: a: an alias names a value that holds it: it never ends"),
        (
            "automation:\n  welcome: hi\nb: &x\n  c: [1, {d: *x}]\n",
            ":3: b: an alias names a value that holds it: it never ends",
        ),
        (
            "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
            f":1: lists and mappings nested too deeply (past {MAX_DEPTH} levels)",
        ),
        (
            "a:\n  b: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
            f":1: a: lists and mappings nested too deeply (past {MAX_DEPTH} levels)",
        ),
    ],
    ids=["nul", "alias-in-itself", "alias-in-a-mapping", "100000-deep", "deeper-than-allowed"],
)
async def test_each_is_one_line(tmp_path: Path, text: str, refusal: str) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text)
    code, out, err = await config_check(path)
    assert (code, out) == (2, ""), err
    assert err == f"{path}{refusal}\n"


async def test_nesting_a_config_file_needs_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text("profiles:\n  number_owners: {web:site: b}\nworkflows: []\n")
    assert await config_check(path) == (0, f"{path}: valid\n", "")
