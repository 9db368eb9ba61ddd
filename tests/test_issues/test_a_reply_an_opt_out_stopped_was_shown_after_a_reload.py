"""A visitor who said STOP and then "hours" saw no answer, rightly; after a reload the
answer stood in the chat as if it had been sent, and the page's receipt told the
services it was delivered, after they had been told it failed (the customer opted
out). A reply that failed is not in the history a socket opens with, nor a message the
page may confirm."""

from __future__ import annotations

from bot.model import Identity, Outbound
from tests.conftest import BotFactory
from tests.test_fallback import say
from tests.test_webchat import next_message, open_chat


async def test_a_failed_reply_is_not_shown_nor_confirmed(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await say(socket, 1, "hi")
    await next_message(socket)
    await say(socket, 2, "STOP")
    sink = bot.sinks["support"]
    await sink.wait_for(
        lambda ds: len([d for d in ds if d.event["type"] == "message.inbound"]) == 2
    )
    # A reply that was on its way when the STOP came (automation answers an opted-out
    # customer nothing, and the API refuses to): it fails at its send.
    inbound = sink.events("message.inbound")[-1]["data"]
    cid, customer = inbound["conversation_id"], inbound["customer"]
    outbound = Outbound(
        send_id="snd_open_hours",
        conversation_id=cid,
        channel="web",
        number="web:site",
        recipient=Identity(*customer.split(":", 1)),
        text="We are open 9 to 5",
        service="support",
    )
    await bot.runtime.sender.send(outbound, bot.runtime.shard_of(cid))
    await sink.wait_for(
        lambda ds: any(
            d.event["type"] == "message.status" and d.event["data"]["status"] == "failed"
            for d in ds
        ),
        timeout=15,
    )
    await socket.close()
    again, history = await open_chat(bot)
    outbound = [m for m in history if m["direction"] == "outbound"]
    assert all(m.get("status") != "failed" for m in outbound), outbound
    assert not any("open" in (m["text"] or "").lower() for m in outbound), outbound
    await again.close()
