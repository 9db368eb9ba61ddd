"""A guided conversation's choice labelled "Cancel" (or "Agent"), pressed as a button,
stopped the flow (or handed off) as the escape word would, where README says "a press,
the option's number or its words answer": the press answers the step now, and its
branch is taken. The words typed are still the escape word."""

from __future__ import annotations

from bot.config.automation import automation_settings
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import WA_ID, fields, press, say, sent

KEEP = {
    "start": ["subscription"],
    "steps": [
        {
            "id": "decision",
            "ask": "Keep your plan or cancel it?",
            "input": "choice",
            "choices": ["Keep it", "Cancel", "Agent"],
            "save": "decision",
            "next": {"Cancel": "why", "Agent": "end", "Keep it": "end"},
        },
        {"id": "why", "ask": "Sorry to see you go: why?", "input": "text", "save": "why"},
    ],
    "end": "Noted: {decision}.",
}
AUTOMATION = automation_settings({"welcome": "Welcome!", "flows": {"keep": KEEP}})


async def test_pressing_a_choice_named_like_an_escape_word_answers_it(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, "subscription")
    assert (await sent(bot, 1))[-1].text == "Keep your plan or cancel it?"
    await press(bot, "b:1", "Cancel")
    assert (await sent(bot, 2))[-1].text == "Sorry to see you go: why?"
    await say(bot, "Too dear")
    assert (await sent(bot, 3))[-1].text == "Noted: Cancel."
    saved = await fields(bot, Identity("wa", WA_ID))
    assert (saved["decision"], saved["why"]) == ("Cancel", "Too dear")

    await say(bot, "subscription")
    await press(bot, "b:2", "Agent")  # a choice, not a hand-off
    assert (await sent(bot, 5))[-1].text == "Noted: Agent."

    await say(bot, "subscription")
    await say(bot, "cancel")  # typed: the escape word
    assert (await sent(bot, 7))[-1].text.startswith("OK, stopped.")
