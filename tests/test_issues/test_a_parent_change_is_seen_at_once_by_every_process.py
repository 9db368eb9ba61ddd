"""Regression: a parent change was not seen at once by every process (SN-7).

After ``python bot.py admin services detach bot``, or a detach through the API of one of
``serve --workers 2``, the detached parent's automation still answered customers for
0.5 to 8 seconds, and the new parent's calls were refused with 403: each process kept
each number's services for a second and went on acting for the parent it had read last.

Two runtimes share one Redis, as two processes do. ``bot`` (the runtime's own service)
is the parent and ``support``, with a welcome of its own, is next. A customer whose
conversation the second runtime works writes, and gets the bot's welcome. The parent is
detached through the first runtime's API. The next customer who writes to the second
runtime is answered by support alone, and support's parent-only calls to the second
runtime are taken.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.core.ingest import shard_of
from bot.runtime import Runtime
from tests.conftest import AUTOMATION, Bot, BotFactory
from tests.emulators import meta_webhooks as meta

ADMIN = "admin-token-of-the-test"
SUPPORT_WELCOME = "Support here: what can we do for you?"


@asynccontextmanager
async def second_process(first: Bot) -> AsyncIterator[Bot]:
    """Another runtime on the same Redis, configured as the first: a second process."""
    runtime = Runtime(first.runtime.settings)
    await runtime.start()
    client = TestClient(TestServer(runtime.http_app()))
    await client.start_server()
    other = Bot(runtime, client, None, {}, first.app_secret, first.verify_token)
    try:
        yield other
    finally:
        await other.stop()


async def shards_held_by(bot: Bot, redis: Redis) -> set[int]:
    """Wait until ``bot`` works some of the shards (the other process hands them over)."""
    runtime = bot.runtime
    async with asyncio.timeout(20):
        while True:
            held = {
                shard
                for shard in range(runtime.settings.shards)
                if await redis.get(runtime.keys.lease(f"shard:{shard}")) == runtime.holder
            }
            if held:
                return held
            await asyncio.sleep(0.1)


def customers_on(bot: Bot, shards: set[int], count: int) -> list[str]:
    """WhatsApp ids whose conversations fall on ``shards``."""
    found = (
        wa_id
        for wa_id in (f"4477009006{n:02d}" for n in range(100))
        if shard_of(bot.conversation(wa_id), bot.runtime.settings.shards) in shards
    )
    return [next(found) for _ in range(count)]


async def say_hello(bot: Bot, wa_id: str) -> None:
    response = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, wa_id, "hello"))
    assert response.status == 200


async def test_the_next_message_after_a_detach_gets_the_new_parent_everywhere(
    make_bot: BotFactory, real_redis: Redis
) -> None:
    first = await make_bot(
        services=("support",),
        automations={"support": {"welcome": SUPPORT_WELCOME, "rules": []}},
        admin_token=ADMIN,
    )
    graph = first.graph
    assert graph is not None
    number = f"wa:{first.phone_number_id}"
    support = {"Authorization": f"Bearer {await first.runtime.directory.define_token('support')}"}
    async with second_process(first) as second:
        earlier, later = customers_on(first, await shards_held_by(second, real_redis), 2)
        await say_hello(second, earlier)
        await graph.wait_for_sent(1, timeout=10)
        assert [m.text for m in graph.sent if m.to == earlier] == [AUTOMATION.welcome]

        detached = await first.client.delete(
            f"/v1/services/bot?number={number}", headers={"Authorization": f"Bearer {ADMIN}"}
        )
        assert detached.status == 200, await detached.text()

        await say_hello(second, later)
        await graph.wait_for_sent(2, timeout=10)
        event = {"type": "ticket.created", "number": number, "phone": f"+{later}"}
        answer = await second.client.post("/v1/events", json=event, headers=support)
        await second.settle()
        assert [m.text for m in graph.sent if m.to == later] == [SUPPORT_WELCOME]
        assert answer.status != 403, await answer.text()
