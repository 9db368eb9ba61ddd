"""On SMS "YES" is a carrier's opt-in word, and it was never given to a guided
conversation: a customer who had not opted out and answered a flow's yes-or-no question
"yes" got the fallback answer, and the flow waited on. A customer who opted out still
opts in with it."""

from __future__ import annotations

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_flows_runtime import SHIPPED
from tests.test_sms_channel import SMSBot, sms_bot_with

ASKED = "Happy to help with a quote. Is this for a business?"


async def test_yes_answers_a_flow_s_question_by_sms(make_bot: BotFactory) -> None:
    automation = automation_settings({"welcome": "Welcome!", "flows": SHIPPED})
    async with sms_bot_with(make_bot, automation=automation) as bot:
        await bot.text("hi")
        await bot.twilio.wait_for_sent(1)
        await bot.text("quote")
        assert (await bot.twilio.wait_for_sent(2))[-1].body.startswith(ASKED)
        await bot.text("No")
        anyway = (await bot.twilio.wait_for_sent(3))[-1].body
        assert anyway.startswith("Our plans are made for teams.")
        await bot.text("yes")  # none of "Yes please", "No thanks": the flow asks again
        assert (await bot.twilio.wait_for_sent(4))[-1].body == (await _yep(bot))
        assert not await bot.opted_out()

        await bot.text("STOP")
        assert await bot.opted_out()
        await bot.text("Yes")  # opted out: YES opts in again, as carriers expect
        assert not await bot.opted_out()


async def _yep(bot: SMSBot) -> str:
    """What the flow says to another answer that is none of its choices."""
    await bot.text("yep")
    return (await bot.twilio.wait_for_sent(5))[-1].body
