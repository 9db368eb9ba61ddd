"""A guided conversation's email step took an answer holding control characters
(``ann\\x1b[2J\\x1b[31m@example.com``) and saved it in the profile's fields and the
hand-off post as it came, where the text step refuses them ("Please answer in plain
text."). Every typed answer is refused so now, whatever its step's input."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import WA_ID, fields, say, sent

ASK = {
    "start": ["contact"],
    "steps": [
        {"id": "email", "ask": "Your email?", "input": "email", "save": "email"},
        {"id": "phone", "ask": "Your phone?", "input": "phone", "save": "phone"},
        {"id": "size", "ask": "How many seats?", "input": "number", "save": "seats"},
        {"id": "day", "ask": "Which day?", "input": "date", "save": "day"},
    ],
    "end": "Thanks.",
}
AUTOMATION = automation_settings({"welcome": "Welcome!", "flows": {"ask": ASK}})


@pytest.mark.parametrize(
    "hostile",
    ["ann\x1b[2J\x1b[31m@example.com", "+44 7700\x07 900123", "1\x0012", "2027-01-0\x1b1"],
)
async def test_control_characters_are_refused_at_every_step(
    make_bot: BotFactory, hostile: str
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, "contact")
    answers = ["ann@example.com", "+44 7700 900123", "12", "2027-01-01"]
    step = {"a": 0, "+": 1, "1": 2, "2": 3}[hostile[0]]
    for answer in answers[:step]:
        await say(bot, answer)
    await say(bot, hostile)
    refused = (await sent(bot, step + 2))[-1].text or ""
    assert refused.startswith("Please answer in plain text.")
    for answer in answers[step:]:
        await say(bot, answer)
    assert (await sent(bot, 6))[-1].text == "Thanks."
    saved = await fields(bot, Identity("wa", WA_ID))
    assert all("\x1b" not in value and "\x07" not in value for value in saved.values())
    assert saved["email"] == "ann@example.com"
