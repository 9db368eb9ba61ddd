"""A reply Twilio refused with 21610 in its answer (the customer had texted STOP where the
bot did not see it) opted the customer out whenever the answer came, though they had texted
START while the call was in flight: the bot took them for opted out, and every reply to
them was refused (409) until they texted START once more. As for a 21610 in a status
callback, the refusal now opts them out unless they opted back in after the message went."""

from __future__ import annotations

import asyncio

from tests.test_issues.test_an_sms_reply_past_1600_characters_was_taken import _reply
from tests.test_notifications import until
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_start_while_the_refused_send_was_answered_stands(sms_bot: SMSBot) -> None:
    runtime, twilio = sms_bot.bot.runtime, sms_bot.twilio
    await sms_bot.text("hello")
    await twilio.wait_for_sent(1)
    twilio.stop(CUSTOMER)  # STOP texted to another number of the Messaging Service
    twilio.sends_held = asyncio.Event()
    status, raw = await _reply(sms_bot, {"text": "Your order has shipped."})
    assert status == 201, raw
    await twilio.wait_for_sends_waiting(1, timeout=15)

    # The customer texts START while the send is in flight: Twilio opts them in, so does
    # the bot.
    twilio.unstop(CUSTOMER)
    form, signature = twilio.signed_inbound(sms_bot.url, CUSTOMER, OURS, "START")
    answer = await sms_bot.bot.client.post(
        "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert answer.status == 200

    async def started() -> bool:
        timeline = await runtime.conversations.timeline(sms_bot.conversation)
        said = [m.get("text") for m in timeline if m["direction"] == "inbound"]
        return said[-1:] == ["START"] and await runtime.inbound_log.backlog() == 0

    await until(started, 15, "the START")

    # The send was refused as it went, before the START: its 21610 comes back now.
    twilio.stop(CUSTOMER)
    twilio.sends_held.set()

    async def failed() -> bool:
        timeline = await runtime.conversations.timeline(sms_bot.conversation)
        return timeline[-2].get("status") == "failed" and await runtime.outbox.backlog() == 0

    await until(failed, 15, "the refused send")
    twilio.unstop(CUSTOMER)
    assert not await sms_bot.opted_out()
    status, raw = await _reply(sms_bot, {"text": "Sorry, here it is again."})
    assert status == 201, raw
    sent = await twilio.wait_for_sent(2, timeout=15)
    assert sent[-1].body == "Sorry, here it is again."
