"""On SMS, a carrier's keyword that was also an offered choice was taken as the choice:
"Cancel" to [Continue, Cancel] opted nobody out, "HELP" to [..., Help, ...] got no help,
and "Yes" after a STOP did not opt back in. The carrier acts on these words whatever was
offered, so the bot does too."""

from __future__ import annotations

from bot.core.keywords import DEFAULT_SMS_HELP
from tests.test_sms_channel import SMSBot, sms_bot

__all__ = ["sms_bot"]


async def _offer(sms_bot: SMSBot, *buttons: str) -> None:
    await sms_bot.send("Pick one", *buttons)


async def test_cancel_offered_as_a_choice_still_opts_out(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await _offer(sms_bot, "Continue", "Cancel")
    await sms_bot.text("Cancel")
    assert await sms_bot.opted_out()
    assert (await sms_bot.last_inbound())["kind"] == "text"


async def test_help_offered_as_a_choice_is_still_answered(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await _offer(sms_bot, "Track order", "Help", "End")
    await sms_bot.text("HELP")
    sent = await sms_bot.twilio.wait_for_sent(3)
    assert sent[-1].body == DEFAULT_SMS_HELP
    await sms_bot.text("END")
    assert await sms_bot.opted_out()


async def test_yes_after_a_stop_opts_back_in_and_before_it_picks(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await _offer(sms_bot, "Yes", "No")
    await sms_bot.text("yes")  # not opted out: the answer to the question
    picked = await sms_bot.last_inbound()
    assert (picked["kind"], picked["text"]) == ("button", "Yes")
    await _offer(sms_bot, "Yes", "No")
    await sms_bot.text("STOP")
    assert await sms_bot.opted_out()
    await sms_bot.text("Yes")  # opted out: Twilio lifts its block on YES, and so do we
    assert not await sms_bot.opted_out()
    assert (await sms_bot.last_inbound())["kind"] == "text"
