"""A customer's messages a moment apart, acknowledged one by one while Redis stalled a few
seconds (a fork's or an fsync's pause, a failover): each webhook's append went out in a
round trip of its own, on a connection of its own, and Redis ran them in whatever order
it took the connections up when it resumed; the conversation got them reversed, in its
timeline, its events and its automation. The appends go in the order the webhooks
came, one round trip at a time."""

from __future__ import annotations

import asyncio
import os
import signal

from bench.procs import Child
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, say
from tests.test_notifications import until

LINES = 12


async def test_messages_acknowledged_in_a_stall_keep_their_order(
    make_bot: BotFactory, private_redis_server: Child
) -> None:
    bot = await make_bot(redis_url=private_redis_server.url)
    await say(bot, "line 0")
    os.kill(private_redis_server.pid, signal.SIGSTOP)
    try:
        posts = []
        for n in range(1, LINES + 1):
            hook = meta.text_message(PHONE_NUMBER_ID, WA_ID, f"line {n}", msg_id=f"wamid.L{n}")
            posts.append(asyncio.create_task(bot.post_whatsapp(hook)))
            await asyncio.sleep(0.02)  # typed one after another
    finally:
        await asyncio.sleep(0.5)
        os.kill(private_redis_server.pid, signal.SIGCONT)
    assert [answer.status for answer in await asyncio.gather(*posts)] == [200] * LINES

    async def texts() -> list[str]:
        timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
        found = [str(m.get("text")) for m in timeline if m["direction"] == "inbound"]
        return found if len(found) == LINES + 1 else []

    assert await until(texts, what="every line") == [f"line {n}" for n in range(LINES + 1)]
