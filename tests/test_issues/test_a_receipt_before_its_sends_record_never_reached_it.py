"""Meta can post a send's receipts (delivered, read) before the Graph API's answer to
that send reaches the bot. Such a receipt matched no send: it was told with the wamid
alone, the timeline kept the message at "sent" for good, and a campaign counted it as
not delivered. The receipt moves to the send once it is recorded, and is told under
our id."""

from __future__ import annotations

import asyncio

from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.sink import Delivery

ANN = "447700900801"


async def inbound_done(bot: Bot) -> None:
    """Wait until the receipts posted are processed (the send itself is still under way)."""
    async with asyncio.timeout(10):
        while True:
            if not await bot.runtime.inbound_log.backlog():
                return
            await asyncio.sleep(0.02)


def told(deliveries: list[Delivery], message_id: str) -> set[str]:
    """The statuses told of ``message_id``."""
    return {
        d.event["data"]["status"]
        for d in deliveries
        if d.event["type"] == "message.status" and d.event["data"]["message_id"] == message_id
    }


async def test_receipts_that_came_first_reach_their_send(make_bot: BotFactory) -> None:
    bot = await make_bot()
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None

    async def receipts_first(message_id: str) -> None:
        graph.before_answer = None
        for status in ("delivered", "read"):
            receipt = meta.status_update(bot.phone_number_id, message_id, ANN, status)
            assert (await bot.post_whatsapp(receipt)).status == 200
        await inbound_done(bot)  # taken before the answer to the send goes

    graph.before_answer = receipts_first
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, ANN, "hi"))
    (welcome,) = await graph.wait_for_sent(1)
    cid = bot.conversation(ANN)

    def told_under_our_id(deliveries: list[Delivery]) -> bool:
        return any(
            d.event["type"] == "message.status"
            and d.event["data"]["message_id"].startswith("snd_")
            and d.event["data"]["status"] == "read"
            for d in deliveries
        )

    await sink.wait_for(told_under_our_id)
    timeline = await bot.runtime.conversations.timeline(cid)
    outbound = [m for m in timeline if m["direction"] == "outbound"]
    assert [m["status"] for m in outbound] == ["read"]
    event = next(
        d.event["data"]
        for d in sink.deliveries
        if d.event["type"] == "message.status"
        and d.event["data"]["message_id"] == outbound[0]["id"]
    )
    assert event["provider_id"] == welcome.message_id
