"""Twilio failed a send in a status callback with 21610 (the customer is on Twilio's STOP
list: how a Messaging Service, which answers every send 201 "accepted", tells it). The
bot passed on ``message.status failed`` and that was all: the customer stayed opted in,
and every later reply and campaign went to Twilio and failed again. The same 21610 in
the API's answer to the send opted them out. Both do now; a callback of a send made
before the customer opted back in with START leaves them opted in."""

from __future__ import annotations

from tests.emulators.twilio_api import SentSMS
from tests.test_api import call
from tests.test_sms_channel import CUSTOMER, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def opted_out(sms_bot: SMSBot, token: str) -> bool:
    answer = await call(sms_bot.bot, token, "GET", f"/v1/conversations/{sms_bot.conversation}")
    assert answer.status == 200, answer.raw
    return bool(answer.json["conversation"]["opted_out"])


async def send(sms_bot: SMSBot, token: str, text: str) -> SentSMS:
    """The service's reply ``text``, as Twilio took it."""
    path = f"/v1/conversations/{sms_bot.conversation}/messages"
    answer = await call(sms_bot.bot, token, "POST", path, {"text": text})
    assert answer.status == 201, answer.raw
    await sms_bot.bot.settle()
    (sent,) = [s for s in sms_bot.twilio.sent if s.body == text]
    assert sent.to == CUSTOMER
    return sent


async def test_a_21610_status_callback_opts_the_customer_out(sms_bot: SMSBot) -> None:
    twilio = sms_bot.twilio
    token = await sms_bot.bot.runtime.directory.define_token("support")
    path = f"/v1/conversations/{sms_bot.conversation}/messages"
    await sms_bot.text("hello")
    (welcome,) = await twilio.wait_for_sent(1)
    assert await twilio.post_status(welcome.sid, "failed", error_code=21610) == 200
    await sms_bot.bot.settle()
    assert await opted_out(sms_bot, token)
    refused = await call(sms_bot.bot, token, "POST", path, {"text": "our news"})
    assert refused.status == 409 and "opted out" in refused.error
    assert len(twilio.sent) == 1

    # They opt back in, and get a reply. They text STOP to another number of the
    # Messaging Service, and Twilio fails the reply; they text us START before its
    # callback comes. That callback is of a send made before the START: they stay in.
    await sms_bot.text("START")
    assert not await opted_out(sms_bot, token)
    reply = await send(sms_bot, token, "welcome back")
    await sms_bot.text("START")
    assert await twilio.post_status(reply.sid, "failed", error_code=21610) == 200
    await sms_bot.bot.settle()
    assert not await opted_out(sms_bot, token)

    # A send made since that Twilio fails with 21610 opts them out again.
    later = await send(sms_bot, token, "our news")
    assert await twilio.post_status(later.sid, "failed", error_code=21610) == 200
    await sms_bot.bot.settle()
    assert await opted_out(sms_bot, token)


async def test_another_failure_in_a_callback_opts_nobody_out(sms_bot: SMSBot) -> None:
    token = await sms_bot.bot.runtime.directory.define_token("support")
    await sms_bot.text("hello")
    (welcome,) = await sms_bot.twilio.wait_for_sent(1)
    assert await sms_bot.twilio.post_status(welcome.sid, "failed", error_code=30007) == 200
    await sms_bot.bot.settle()
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    assert timeline[-1]["status"] == "failed"
    assert not await opted_out(sms_bot, token)
