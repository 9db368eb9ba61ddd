"""A campaign's WhatsApp template took any field and dropped those it did not know: with
``varaibles`` for ``variables`` it was accepted (202) and sent with no parameters, which
Meta fails (132000); ``variables: [5]`` was taken though the document says strings. The
same template as a reply was refused (400 naming the field). A campaign's template, and
one of the config file, refuse an unknown field; the API's, a variable that is no string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config.base import ConfigError
from bot.config.settings import load_settings
from tests.conftest import BotFactory
from tests.test_notifications import setup

UTILITY = {"name": "order_update", "language": "en_US", "category": "utility"}


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ({**UTILITY, "varaibles": ["A-1042"]}, "varaibles"),
        ({**UTILITY, "components": []}, "components"),
        ({**UTILITY, "variables": [5]}, "string"),
    ],
)
async def test_a_campaign_s_template_is_refused_for_what_it_cannot_take(
    make_bot: BotFactory, template: dict[str, Any], said: str
) -> None:
    shared = await setup(make_bot)
    body = {"number": shared.number, "audience": {"topic": "offers"}, "template": template}
    answer = await shared.call("support", "POST", "/v1/notifications", body)
    assert answer.status == 400, answer.raw
    assert said in answer.error


def test_a_config_template_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(
        "workflows:\n"
        "  - on: ticket.created\n"
        "    send: {template: {name: ticket_opened, language: en, category: utility,\n"
        "                      varaibles: ['{ticket.id}']}}\n"
    )
    with pytest.raises(ConfigError, match="varaibles"):
        load_settings({"SWITCHBOARD_CONFIG": str(config)})
