"""The bounded retries of the shard workers count failures of the work, never of the store:
while Redis refuses the bot's scripts, a good message is redone as long as it takes, well
past the attempts a bad one gets, and it is answered once Redis takes them again.

The store's refusal is real: a private redis-server whose ACL takes the identity index
(``id:*``, which stitching reads first) from the bot's user, while its leases, its reads,
acknowledgements and counters of failed attempts still work.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.core.ingest import shard_of
from bot.core.workers import ENTRY_ATTEMPTS
from stores.streams import GROUP
from tests.botprocess import free_port
from tests.conftest import AUTOMATION, PHONE_NUMBER_ID, Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.scrape import scrape

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")

USER, PASSWORD = "switchboard", "not-a-secret"


@pytest.fixture
async def private_redis() -> AsyncIterator[tuple[Redis, str]]:
    """A redis-server of this test's own, its admin client, and the bot's URL on it."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="switchboard-redis-") as workdir:
        server = await asyncio.create_subprocess_exec(
            *("redis-server", "--port", str(port), "--save", "", "--dir", workdir),
            stdout=asyncio.subprocess.DEVNULL,
        )
        admin = Redis(port=port, decode_responses=True)
        try:
            async with asyncio.timeout(10):
                while True:
                    try:
                        await admin.ping()
                        break
                    except (OSError, RedisError):
                        await asyncio.sleep(0.05)
            await admin.acl_setuser(
                USER,
                enabled=True,
                passwords=[f"+{PASSWORD}"],
                keys=["*"],
                channels=["*"],
                commands=["+@all"],
            )
            yield admin, f"redis://{USER}:{PASSWORD}@127.0.0.1:{port}/0"
        finally:
            await admin.aclose()
            server.terminate()
            await server.wait()


async def metric(bot: Bot, name: str) -> int:
    return int(await scrape(bot.client, name))


async def redone_past_the_attempts(admin: Redis, stream: str) -> None:
    """Wait until the shard's pending entry was taken more times than a bad one may be."""
    async with asyncio.timeout(30):
        while True:
            pending = await admin.xpending_range(stream, GROUP, min="-", max="+", count=10)
            if pending and pending[0]["times_delivered"] > ENTRY_ATTEMPTS + 1:
                return
            await asyncio.sleep(0.1)


async def test_a_store_refusing_the_work_sets_no_message_aside(
    private_redis: tuple[Redis, str], make_bot: BotFactory
) -> None:
    # The server is asked for first, so that it stops after the bot.
    admin, url = private_redis
    bot = await make_bot(redis_url=url)
    assert bot.graph is not None
    await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447911000101", "hi"))
    await bot.graph.wait_for_sent(1)

    prefix = bot.runtime.settings.key_prefix
    # Every key but the identity index: the glob has no "not", so three patterns.
    all_but_ids = [f"{prefix}[^i]*", f"{prefix}i[^d]*", f"{prefix}id[^:]*"]
    await admin.acl_setuser(USER, enabled=True, reset_keys=True, keys=all_but_ids)
    customer = "447911000102"
    response = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, customer, "hi"))
    assert response.status == 200
    shard = shard_of(bot.conversation(customer), bot.runtime.settings.shards)
    await redone_past_the_attempts(admin, bot.runtime.inbound_log.key(shard))

    await admin.acl_setuser(USER, enabled=True, reset_keys=True, keys=["*"])
    sent = await bot.graph.wait_for_sent(2, timeout=10)
    assert (sent[1].to, sent[1].text) == (customer, AUTOMATION.welcome)
    assert await metric(bot, "inbound_dead_lettered_total") == 0
    assert await metric(bot, "inbound_dead_letters") == 0
