"""A flow file that wrote a key twice (a second ``steps:``, ``ask:`` twice in one step)
was taken as PyYAML takes it, the last one silently: ``config check`` called it valid
and the bot ran a flow without its first steps, where the same mistake in the config
file itself is refused. A flow file is read as the config file is now: the second key is
refused, naming the flow file and its line, at ``config check``, the start and a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, reload_automation
from tests.config_run import config_check

SECOND_STEPS = """start: [book]
steps:
  - {id: name, ask: "What's your name?", save: name}
  - {id: phone, ask: "Which number should we call?", input: phone, save: callback_phone}
end: "Thanks, we will call you in the {slot}."
steps:
  - {id: slot, ask: "When suits you?", input: choice, choices: [Morning, Evening], save: slot}
"""
SECOND_ASK = """start: [book]
steps:
  - id: name
    ask: "What's your name?"
    ask: "And your surname?"
"""


def write(tmp_path: Path, flow: str) -> tuple[Path, Path]:
    (tmp_path / "book.yaml").write_text(flow, encoding="utf-8")
    config = tmp_path / "switchboard.yaml"
    config.write_text(
        f"automation:\n  flows:\n    book: {{file: {tmp_path / 'book.yaml'}}}\n", encoding="utf-8"
    )
    return config, tmp_path / "book.yaml"


@pytest.mark.parametrize(
    ("flow", "refusal"),
    [
        (SECOND_STEPS, ":6: not valid YAML: the key 'steps' is written twice (first on line 2)"),
        (SECOND_ASK, ":5: not valid YAML: the key 'ask' is written twice (first on line 4)"),
    ],
    ids=["steps", "ask"],
)
async def test_config_check_refuses_the_second_key(tmp_path: Path, flow: str, refusal: str) -> None:
    config, book = write(tmp_path, flow)
    code, out, err = await config_check(config)
    assert (code, out) == (2, ""), err
    assert f"{book}{refusal}" in err


def test_a_reload_refuses_the_second_key(tmp_path: Path) -> None:
    config, _ = write(tmp_path, SECOND_STEPS)
    with pytest.raises(ConfigError, match="the key 'steps' is written twice"):
        reload_automation(str(config), {})
