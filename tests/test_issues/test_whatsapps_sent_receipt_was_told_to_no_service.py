"""Meta's ``sent`` receipt (the message left Meta for the customer's phone) was told to no
service: the send's record says ``sent`` from the API's answer, which ``message.outbound``
tells, and a receipt not past the record's status was dropped as no news. SN-9 lists
``message.status`` for sent, delivered, read and failed: the provider's ``sent`` is told
once, then ``delivered`` and ``read`` as before."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, shared_number


async def test_each_receipt_of_a_reply_is_told_once(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    bot = shared.bot
    answer = await shared.reply("sales", "Your order is on its way")
    assert answer.status == 201, answer.raw
    sent = (await bot.graph.wait_for_sent(2))[-1]
    for status in ("sent", "sent", "delivered", "sent", "read"):  # a retry, one late
        receipt = meta.status_update(bot.phone_number_id, sent.message_id, WA_ID, status)
        assert (await bot.post_whatsapp(receipt)).status == 200
    await bot.settle()
    for sink in bot.sinks.values():
        await sink.wait_for_count(3, type="message.status")
        told = [e["data"]["status"] for e in sink.events("message.status")]
        assert told == ["sent", "delivered", "read"], told
