"""On SMS, the carriers' HELP answer counted as the automation's one answer of the
``reply_interval``: a customer who texted HELP, then asked a question the rules answer
("hours"), heard nothing for the rest of the interval. HELP is answered whatever the
interval, and its answer leaves the automation's answer to the next question."""

from __future__ import annotations

from bot.config.automation import automation_settings
from bot.core.keywords import DEFAULT_SMS_HELP
from tests.conftest import BotFactory
from tests.test_sms_channel import sms_bot_with

AUTOMATION = automation_settings(
    {
        "welcome": "Welcome!",
        "reply_interval": 600,
        "rules": [{"keywords": ["hours"], "reply": "Open 9 to 5."}],
    }
)


async def test_a_question_after_help_is_answered(make_bot: BotFactory) -> None:
    async with sms_bot_with(make_bot, automation=AUTOMATION) as sms:
        await sms.text("HELP")
        await sms.twilio.wait_for_sent(1)
        await sms.text("hours?")
        sent = await sms.twilio.wait_for_sent(2)
        assert [m.body for m in sent] == [DEFAULT_SMS_HELP, "Open 9 to 5."]
        await sms.text("hours again?")  # within the interval: one answer was enough
        await sms.text("HELP")  # always answered
        sent = await sms.twilio.wait_for_sent(3)
        assert [m.body for m in sent] == [DEFAULT_SMS_HELP, "Open 9 to 5.", DEFAULT_SMS_HELP]
