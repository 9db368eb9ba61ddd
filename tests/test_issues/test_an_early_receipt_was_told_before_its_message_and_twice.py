"""A receipt Meta posted before the Graph API's answer to its send reached the services
first under the wamid, an id no ``message.outbound`` had named, then again under our id
once the send was recorded: ``delivered`` before ``message.outbound``, and twice, with
two event ids. docs/api.md: a status's ``message_id`` is the one of ``message.outbound``
and the timeline, and a status behind one already told is not passed on. An early
receipt is kept until its send is recorded now, and told once, after it."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_issues.test_a_receipt_before_its_sends_record_never_reached_it import (
    inbound_done,
)

ANN = "447700900802"


async def test_an_early_receipt_is_told_once_after_its_message(make_bot: BotFactory) -> None:
    bot = await make_bot()
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None

    async def receipts_first(message_id: str) -> None:
        graph.before_answer = None
        for status in ("sent", "delivered"):
            receipt = meta.status_update(bot.phone_number_id, message_id, ANN, status)
            assert (await bot.post_whatsapp(receipt)).status == 200
        await inbound_done(bot)

    graph.before_answer = receipts_first
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, ANN, "hi"))
    await graph.wait_for_sent(1)
    await sink.wait_for(
        lambda ds: any(
            d.event["type"] == "message.status" and d.event["data"]["status"] == "delivered"
            for d in ds
        )
    )
    await bot.settle()
    told = [
        (d.event["type"], d.event["data"].get("message_id") or d.event["data"]["id"])
        for d in sink.deliveries
        if d.event["type"] in ("message.outbound", "message.status")
    ]
    (outbound,) = [m for kind, m in told if kind == "message.outbound"]
    assert told == [("message.outbound", outbound), ("message.status", outbound)], told
