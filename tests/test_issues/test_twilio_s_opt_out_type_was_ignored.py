"""Twilio's Advanced Opt-Out lets an account set its own opt-out and opt-in words
("PARAR", "BAJA"), and says so in the incoming message's ``OptOutType``: the bot never
read it. A customer Twilio had opted out with such a word got an automated answer and
stayed open to every service's reply (each then refused by Twilio, 21610); one who opted
in with such a word stayed opted out."""

from __future__ import annotations

from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def _say(bot: SMSBot, body: str, **extra: str) -> None:
    form, signed = bot.twilio.signed_inbound(bot.url, CUSTOMER, OURS, body, **extra)
    response = await bot.bot.client.post(
        "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signed}
    )
    assert response.status == 200
    await bot.bot.settle()


async def test_twilio_s_opt_out_type_decides_the_keyword(sms_bot: SMSBot) -> None:
    await _say(sms_bot, "hola")
    await sms_bot.twilio.wait_for_sent(1)  # the welcome
    await _say(sms_bot, "PARAR", OptOutType="STOP")
    assert await sms_bot.opted_out()
    await _say(sms_bot, "VOLVER", OptOutType="START")
    assert not await sms_bot.opted_out()
    await _say(sms_bot, "AYUDA", OptOutType="HELP")  # Twilio answered it
    await _say(sms_bot, "STOP", OptOutType="nonsense")  # not Twilio's: our own list
    assert await sms_bot.opted_out()
    assert len(sms_bot.twilio.sent) == 1  # nothing answered the keywords
