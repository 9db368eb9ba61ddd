"""``config check`` (and ``serve`` at its start) hung on a "billion laughs": a few lines of
anchors, each list (or merge) naming the one before nine times, expand to 9**9 values.
A document whose aliases expand past MAX_NODES values is refused in one line, while
anchors and aliases of a real file keep working."""

from __future__ import annotations

from pathlib import Path

from bot.config.yamlfile import MAX_NODES
from tests.config_run import config_check

LAUGHS = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)
MERGES = "m0: &m0 {k0: v, k1: v}\n" + "".join(
    f"m{n}: &m{n} {{<<: [{', '.join([f'*m{n - 1}'] * 9)}]}}\n" for n in range(1, 10)
)
SHARED = """\
automation:
  welcome: &hello "Hello!"
  rules:
    - &hours {keywords: [hours], reply: "We open at 9."}
services:
  - name: crm
    url: http://127.0.0.1:9/hooks
    secret: s
    automation:
      welcome: *hello
      rules: [*hours, {<<: *hours, keywords: [open]}]
"""


async def test_a_billion_laughs_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(LAUGHS)
    code, out, err = await config_check(path)
    assert (code, out) == (2, "")
    assert err == f"{path}:6: f: its aliases expand too far (past {MAX_NODES:,} values)\n"


async def test_merges_of_merges_are_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(MERGES)
    code, out, err = await config_check(path)
    assert (code, out) == (2, "")
    assert err == f"{path}:6: m5: its aliases expand too far (past {MAX_NODES:,} values)\n"


async def test_anchors_and_aliases_of_a_real_file_still_work(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(SHARED)
    assert await config_check(path) == (0, f"{path}: valid\n", "")
