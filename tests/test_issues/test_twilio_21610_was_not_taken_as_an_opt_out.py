"""Twilio refuses a send to a customer who texted STOP to the sender with 21610, also when
the bot never saw that STOP (sent to another number of the Messaging Service, or while the
bot was down: Twilio does not retry). The send failed, and every later one was tried and
refused again; the customer is opted out now, as their STOP would have done."""

from __future__ import annotations

from tests.test_api import call
from tests.test_sms_channel import CUSTOMER, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_21610_opts_the_customer_out(sms_bot: SMSBot) -> None:
    runtime = sms_bot.bot.runtime
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    sms_bot.twilio.stop(CUSTOMER)  # a STOP the bot never saw
    token = await runtime.directory.define_token("support")
    path = f"/v1/conversations/{sms_bot.conversation}/messages"
    answer = await call(sms_bot.bot, token, "POST", path, {"text": "our news"})
    assert answer.status == 201
    await sms_bot.bot.settle()
    timeline = await runtime.conversations.timeline(sms_bot.conversation)
    assert timeline[-1]["status"] == "failed"
    meta = await runtime.conversations.meta(sms_bot.conversation)
    assert meta.get("opted_out") == "1"
    again = await call(sms_bot.bot, token, "POST", path, {"text": "more news"})
    assert again.status == 409 and "opted out" in again.error
    sms_bot.twilio.unstop(CUSTOMER)
    await sms_bot.text("START")
    assert "opted_out" not in await runtime.conversations.meta(sms_bot.conversation)
