"""The bot's own SMS number (``SMS_FROM``) was taken for a customer: a form from it got
the welcome, sent from the number to itself, and ``POST /v1/conversations`` to it was a
201, each making a profile and a conversation fanned out to the services, while Twilio
refuses every such send (21266, "'To' and 'From' number cannot be the same"). A message
from the number is left be now, and a start to it refused with nothing made."""

from __future__ import annotations

from bot.model import Identity
from tests.test_api import call
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_message_from_the_number_itself_is_left_be(sms_bot: SMSBot) -> None:
    form, signed = sms_bot.twilio.signed_inbound(sms_bot.url, OURS, OURS, "hello from myself")
    answer = await sms_bot.bot.client.post(
        "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signed}
    )
    assert answer.status == 200, await answer.text()
    assert await sms_bot.text("hi") == 200  # a customer's, after it
    (sent,) = await sms_bot.twilio.wait_for_sent(1)
    assert sent.to == CUSTOMER  # the customer's welcome alone
    assert await sms_bot.bot.runtime.profiles.lookup(Identity("phone", OURS)) == ""


async def test_a_start_to_the_number_itself_is_refused(sms_bot: SMSBot) -> None:
    bot = sms_bot.bot
    token = await bot.runtime.directory.define_token("support")
    for identity in (OURS, "07700 900999", f"wa:{OURS[1:]}"):
        body = {"number": f"sms:{OURS}", "identity": identity, "text": "hello first"}
        answer = await call(bot, token, "POST", "/v1/conversations", body)
        assert answer.status == 422, answer.raw
        assert "the number's own" in answer.error
    assert await bot.runtime.profiles.lookup(Identity("phone", OURS)) == ""
    listed = await call(bot, token, "GET", "/v1/conversations")
    assert listed.json["conversations"] == []
    assert sms_bot.twilio.sent == []
