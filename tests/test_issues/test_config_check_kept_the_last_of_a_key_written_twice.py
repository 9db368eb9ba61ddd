"""A key written twice in one mapping (two ``automation:`` sections, a service's
``secret:`` twice) was taken by PyYAML as the last one, silently: ``config check`` called
the file valid while half of it was ignored. The second is refused, with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_run import config_check


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        (
            "automation:\n  welcome: Hi\nautomation:\n  fallback: Sorry\n",
            ":3: not valid YAML: the key 'automation' is written twice (first on line 1)",
        ),
        (
            "services:\n  - name: crm\n    url: http://127.0.0.1:9/h\n    secret: s\n"
            "    secret: t\n",
            ":5: not valid YAML: the key 'secret' is written twice (first on line 4)",
        ),
        (
            "delivery: {timeout: 5, timeout: 6}\n",
            ":1: not valid YAML: the key 'timeout' is written twice (first on line 1)",
        ),
    ],
    ids=["section", "service-key", "flow-mapping"],
)
async def test_the_second_is_refused_with_its_line(tmp_path: Path, text: str, refusal: str) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text)
    code, out, err = await config_check(path)
    assert (code, out) == (2, ""), err
    assert err == f"{path}{refusal}\n"


async def test_a_key_that_overrides_a_merged_one_is_not_written_twice(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "automation:\n"
        "  rules:\n"
        '    - &hours {keywords: [hours], reply: "We open at 9."}\n'
        '    - {<<: *hours, reply: "We open at 10 on Sundays.", keywords: [sunday]}\n'
        "delivery: {timeout: 5, concurrency: 5}\n"
    )
    assert await config_check(path) == (0, f"{path}: valid\n", "")
