"""``retry_horizon: 8.64e4`` or ``reply_interval: 1e3`` in the config file were refused
with "must be a number (got '8.64e4')": the operator had written a number, and was not
told that YAML (1.1, as PyYAML reads it) takes an exponent without a dot and a sign for
text. The line says so now, and how to write the number."""

from __future__ import annotations

from pathlib import Path

from tests.config_run import config_check


async def test_a_number_yaml_reads_as_text_is_told_how_to_write_it(tmp_path: Path) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(
        "automation:\n  reply_interval: 1e3\n"
        'delivery:\n  retry_horizon: 8.64e4\n  concurrency: 2e1\n  timeout: "10"\n',
        encoding="utf-8",
    )
    code, out, err = await config_check(config)
    assert code == 2, (out, err)
    assert err.splitlines() == [
        f"{config}:2: automation.reply_interval: must be a number (got '1e3', which YAML "
        "reads as text: write 1000)",
        f"{config}:4: delivery.retry_horizon: must be a number (got '8.64e4', which YAML "
        "reads as text: write 86400)",
        f"{config}:5: delivery.concurrency: must be a whole number (got '2e1', which YAML "
        "reads as text: write 20)",
        f"{config}:6: delivery.timeout: must be a number (got '10')",  # quoted: text, as meant
    ]
