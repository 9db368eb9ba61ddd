"""An MMS whose text is STOP (a photo with the word) was taken as a photo: the customer
stayed opted in and got the welcome, where the same word by SMS opts out. Carriers and
Twilio match the message's text, whatever it carries; the bot now does too."""

from __future__ import annotations

from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]

PHOTO = ("https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME", "image/jpeg")


async def _mms(sms_bot: SMSBot, body: str) -> int:
    form, signed = sms_bot.twilio.signed_inbound(sms_bot.url, CUSTOMER, OURS, body, media=[PHOTO])
    answer = await sms_bot.bot.client.post(
        "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signed}
    )
    await sms_bot.bot.settle()
    return answer.status


async def test_stop_with_a_photo_opts_out_and_gets_no_welcome(sms_bot: SMSBot) -> None:
    assert await _mms(sms_bot, " Stop ") == 200
    assert await sms_bot.opted_out()
    assert await sms_bot.text("HELP") == 200
    # The answer to HELP is all that was sent: no welcome for the photo.
    sent = await sms_bot.twilio.wait_for_sent(1)
    assert len(sms_bot.twilio.sent) == 1 and "Reply STOP" in sent[0].body, sent
    assert await sms_bot.text("start") == 200
    assert not await sms_bot.opted_out()


async def test_a_photo_with_other_words_is_a_photo(sms_bot: SMSBot) -> None:
    assert await _mms(sms_bot, "stop by tomorrow, here is the shop") == 200
    assert not await sms_bot.opted_out()
    inbound = await sms_bot.last_inbound()
    assert inbound["kind"] == "image"
