"""Values of the wrong type or out of range were taken: ``delivery.timeout: -5`` meant no
timeout at all, ``retry_base: -1`` retried at once forever, ``concurrency: true`` was 1
and ``reply: 42`` became the text "42". Each stops the start, in one line with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_run import environment, refusal_lines, run_bot


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("delivery:\n  timeout: -5\n", "2: delivery.timeout: must be greater than 0 (got -5)"),
        (
            "delivery:\n  retry_base: -1\n",
            "2: delivery.retry_base: must be greater than 0 (got -1)",
        ),
        (
            "delivery:\n  concurrency: true\n",
            "2: delivery.concurrency: must be a whole number (got True)",
        ),
        (
            "automation:\n  rules:\n    - keywords: [hours]\n      reply: 42\n",
            "4: automation.rules[0].reply: must be text (got 42)",
        ),
    ],
)
async def test_a_value_of_the_wrong_type_or_range_stops_the_start(
    tmp_path: Path, text: str, refusal: str
) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text, encoding="utf-8")
    code, output = await run_bot(environment(path))
    assert code == 2, output
    assert refusal_lines(output) == [f"{path}:{refusal}"]
    assert "Traceback" not in output


async def test_every_problem_of_the_file_is_listed_in_its_order(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "delivery:\n  concurrency: true\n  timeout: -5\nclaims:\n  idle_timeout: soon\n",
        encoding="utf-8",
    )
    code, output = await run_bot(environment(path))
    assert code == 2, output
    assert refusal_lines(output) == [
        f"{path}:2: delivery.concurrency: must be a whole number (got True)",
        f"{path}:3: delivery.timeout: must be greater than 0 (got -5)",
        f"{path}:5: claims.idle_timeout: must be a number (got 'soon')",
    ]
