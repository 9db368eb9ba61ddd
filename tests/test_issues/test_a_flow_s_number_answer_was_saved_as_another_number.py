"""A guided conversation's number step saved what the customer typed through a float:
``12345678901234567`` was saved as ``12345678901234568`` and a 30-digit number as another
one. The number is kept exactly as typed (its thousands commas and trailing zeros
aside), and compared with the step's bounds exactly."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import WA_ID, fields, say, sent

ASK = {
    "start": ["order"],
    "steps": [{"id": "qty", "ask": "How many?", "input": "number", "save": "qty"}],
    "end": "Thanks.",
}
BOUNDED = {
    "start": ["seats"],
    "steps": [
        {"id": "n", "ask": "Seats?", "input": "number", "save": "n", "min": 1, "max": 100000}
    ],
    "end": "Thanks.",
}
AUTOMATION = automation_settings({"welcome": "Hi", "flows": {"ask": ASK, "bounded": BOUNDED}})


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("12345678901234567", "12345678901234567"),
        ("123456789012345678901234567890", "123456789012345678901234567890"),
        ("0.1234567890123456789", "0.1234567890123456789"),
        ("12,500.50", "12500.5"),
        ("1,5", "1.5"),
        ("-7", "-7"),
    ],
)
async def test_a_number_is_saved_as_typed(make_bot: BotFactory, typed: str, saved: str) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, "order")
    await say(bot, typed)
    assert (await sent(bot, 2))[-1].text == "Thanks."
    assert (await fields(bot, Identity("wa", WA_ID)))["qty"] == saved


async def test_the_bounds_are_compared_exactly(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, "seats")
    await say(bot, "100000.0000000000000001")
    refused = (await sent(bot, 2))[-1].text or ""
    assert refused.startswith("Please answer with a number from 1 to 100000.")
    await say(bot, "100000")
    assert (await sent(bot, 3))[-1].text == "Thanks."
