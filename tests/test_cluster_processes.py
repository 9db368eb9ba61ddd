"""Two ``python bot.py`` processes on a local three-node Redis Cluster serve one number
together: webhooks go to both, each message reaches the subscriber once, every customer is
answered once, and the shards are shared out between the two."""

from __future__ import annotations

import asyncio
import collections
import secrets
import time

import aiohttp
import pytest
from redis.asyncio.cluster import RedisCluster

from tests import rediscluster
from tests.botprocess import BotProcess
from tests.conftest import PHONE_NUMBER_ID
from tests.emulators import meta_webhooks as meta
from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.sink import SubscriberSink
from tests.rediscluster import LocalCluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes
redis_cluster = rediscluster.redis_cluster

pytestmark = pytest.mark.slow

CUSTOMERS = 24
PER_CUSTOMER = 3
SHARDS = 8
WELCOME = "Welcome!"
HOURS = "We open at 9."


async def post(session: aiohttp.ClientSession, url: str, app_secret: str, raw: bytes) -> None:
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": meta.sign(app_secret, raw),
    }
    async with session.post(f"{url}/webhooks/whatsapp", data=raw, headers=headers) as response:
        assert response.status == 200, await response.text()


async def test_two_processes_on_a_cluster_serve_one_number(
    redis_cluster_nodes: LocalCluster, redis_cluster: RedisCluster, prefix: str
) -> None:
    app_secret, access_token, sink_secret = (secrets.token_hex(16) for _ in range(3))
    graph = GraphAPIEmulator(access_token)
    sink = SubscriberSink(sink_secret)
    env = {
        "REDIS_URL": redis_cluster_nodes.url.replace("redis://", "redis+cluster://", 1),
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "SWITCHBOARD_SHARDS": str(SHARDS),
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": access_token,
        "WHATSAPP_APP_SECRET": app_secret,
        "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
        "WHATSAPP_API_BASE": await graph.start(),
        "SINK_SECRET": sink_secret,
    }
    config = {
        "services": [{"name": "support", "url": await sink.start(), "secret": "${SINK_SECRET}"}],
        "delivery": {"retry_base": 0.1, "retry_cap": 1.0, "timeout": 5},
        "automation": {
            "welcome": WELCOME,
            "rules": [{"keywords": ["hours"], "reply": HOURS}],
        },
    }
    processes = [BotProcess(env, config), BotProcess(env, config)]
    try:
        await asyncio.gather(*(asyncio.to_thread(process.start) for process in processes))
        start = int(time.time()) - PER_CUSTOMER
        sent: list[str] = []
        async with aiohttp.ClientSession() as session:

            async def customer(index: int) -> None:
                # One customer's messages in order, alternately to either process.
                wa_id = f"4477009{index:05d}"
                for seq in range(PER_CUSTOMER):
                    msg_id = meta.new_message_id()
                    text = "hours?" if seq == PER_CUSTOMER - 1 else f"message {seq}"
                    payload = meta.text_message(
                        PHONE_NUMBER_ID, wa_id, text, msg_id=msg_id, timestamp=start + seq
                    )
                    process = processes[(index + seq) % 2]
                    await post(session, process.url, app_secret, meta.encode(payload))
                    sent.append(msg_id)

            await asyncio.gather(*(customer(index) for index in range(CUSTOMERS)))

        await sink.wait_for_count(len(sent), "message.inbound", timeout=60, unique=True)
        replies = await graph.wait_for_sent(2 * CUSTOMERS, timeout=60)
        # Nothing left unfinished in the inbound log or the outbox of either process.
        async with asyncio.timeout(30):
            while True:
                async with redis_cluster.pipeline(transaction=False) as pipe:
                    for shard in range(SHARDS):
                        pipe.xlen(f"{prefix}{{in:{shard}}}")
                        pipe.xlen(f"{prefix}{{out:{shard}}}")
                    if sum(await pipe.execute()) == 0:
                        break
                await asyncio.sleep(0.1)

        fanned_out = collections.Counter(
            str(event["data"]["message"]["id"]) for event in sink.events("message.inbound")
        )
        assert set(fanned_out) == set(sent)
        assert max(fanned_out.values()) == 1, "a message reached the subscriber twice"
        answered = collections.Counter((reply.to, reply.text) for reply in replies)
        assert len(answered) == 2 * CUSTOMERS and max(answered.values()) == 1, answered
        assert {text for _, text in answered} == {WELCOME, HOURS}
        # Both processes work shards: the leases are shared out between them.
        async with asyncio.timeout(30):
            while True:
                leases = [f"{prefix}{{lease:shard:{n}}}" for n in range(SHARDS)]
                holders = collections.Counter([await redis_cluster.get(key) for key in leases])
                if None not in holders and sorted(holders.values()) == [SHARDS // 2] * 2:
                    break
                await asyncio.sleep(0.2)
        for process in processes:
            assert "Traceback" not in process.output(), process.output()
    except BaseException:
        for number, process in enumerate(processes):
            print(f"--- bot process {number} ---\n{process.output()}")
        raise
    finally:
        for code in await asyncio.gather(
            *(asyncio.to_thread(process.stop) for process in processes)
        ):
            assert code == 0
        await asyncio.gather(*(asyncio.to_thread(process.close) for process in processes))
        await sink.stop()
        await graph.stop()
