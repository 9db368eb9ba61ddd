"""A SIGTERM while WhatsApp answered slowly failed a send for good. The drain finished
the batch in hand, starting send after send, and cut the one under way after 15 s; the
next start found its claim and failed it as "interrupted", though it had perhaps gone
out. A stopping bot starts no new send now: it finishes those under way, and leaves the
rest in the outbox for whoever works the shard next, who sends them in order."""

from __future__ import annotations

import time

from bot.config.automation import AutomationSettings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_sending import WA_ID, agent_reply

REPLIES = 25


async def test_a_stop_leaves_the_sends_it_has_not_started(make_bot: BotFactory) -> None:
    quiet = AutomationSettings(welcome="", fallback="")
    first = await make_bot(automation=quiet)
    await first.post_whatsapp(meta.text_message(first.phone_number_id, WA_ID, "hi"))
    await first.settle()
    assert first.graph is not None
    first.graph.delay = 1.0  # each send takes a second: the batch, 25 s
    replies = [agent_reply(first, f"part {n}") for n in range(REPLIES)]
    shard = first.runtime.shard_of(replies[0].conversation_id)
    async with first.runtime.redis.pipeline(transaction=False) as pipe:
        for outbound in replies:
            first.runtime.sender.queue(pipe, outbound, shard)
        await pipe.execute()
    await first.graph.wait_for_sent(2, timeout=10)  # a batch is under way
    started = time.monotonic()
    await first.stop()
    took = time.monotonic() - started
    before = [m.text for m in first.graph.sent]
    assert len(before) < REPLIES
    assert took < 10, f"the stop took {took:.1f} s"

    second = await make_bot(automation=quiet)
    assert second.graph is not None
    after = await second.graph.wait_for_sent(REPLIES - len(before), timeout=20)
    assert before + [m.text for m in after] == [f"part {n}" for n in range(REPLIES)]
    await second.settle()
    timeline = await second.runtime.conversations.timeline(replies[0].conversation_id)
    sends = [m for m in timeline if m["direction"] == "outbound"]
    assert [m["text"] for m in sends] == [f"part {n}" for n in range(REPLIES)]
    assert all(m.get("status") != "failed" for m in sends), sends
