"""A smoke run of the floor server (bench/floor.py) in-process, on the machine's Redis under
this test's prefix, with the Graph API emulator and two sinks: one plain, one that masks.
It checks that what the floor does is what the benchmark counts on, never how fast."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from redis.asyncio import Redis

from bench.floor import CountedConnection, Floor, Setup
from bench.phases import AUTOMATION, inbound_event
from tests.conftest import REDIS_URL
from tests.emulators import meta_webhooks as meta
from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.sink import SubscriberSink

PHONE = "106540352242922"


async def post(session: aiohttp.ClientSession, url: str, raw: bytes, signature: str) -> int:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
    async with session.post(url, data=raw, headers=headers) as response:
        await response.read()
        return response.status


@pytest.mark.parametrize("grouped", [False, True], ids=["one XADD each", "grouped appends"])
async def test_the_floor_accepts_signed_webhooks_and_delivers_signed_events(
    real_redis: Redis, prefix: str, grouped: bool
) -> None:
    graph = GraphAPIEmulator("token-1")
    plain, masking = SubscriberSink("secret-1"), SubscriberSink("secret-2")
    base = await graph.start()
    setup = Setup.from_dict(
        {
            "app_secret": "app-secret",
            "sinks": [
                {"url": await plain.start(), "secret": "secret-1"},
                {"url": await masking.start(), "secret": "secret-2", "mask": True},
            ],
            "graph_base": base,
            "graph_token": "token-1",
            "phone_number_id": PHONE,
            "automation": AUTOMATION,
        }
    )
    counted = Redis.from_url(REDIS_URL, decode_responses=True, connection_class=CountedConnection)
    floor = Floor(counted, setup, f"{prefix}floor", grouped=grouped)
    url = await floor.start()
    trips_before = CountedConnection.count
    texts = [
        "Hello, a question about my booking.",  # first contact: the welcome
        "What are your opening hours?",  # a rule
        "Thanks!",  # nothing
    ]
    bodies = [
        meta.encode(meta.text_message(PHONE, "447700100001", text, name="Ann")) for text in texts
    ]
    try:
        async with aiohttp.ClientSession() as session:
            forged = meta.sign("another-secret", bodies[0])
            assert await post(session, url, bodies[0], forged) == 401
            for raw in bodies:
                assert await post(session, url, raw, meta.sign("app-secret", raw)) == 200
        # Three inbound events and two replies' outbound events, at each sink.
        for sink in (plain, masking):
            await sink.wait_for_count(5)
        await graph.wait_for_sent(2)
        async with asyncio.timeout(10):
            await floor.wait_processed(3)
        async with aiohttp.ClientSession() as session:
            stats_url = url.removesuffix("/webhooks/whatsapp") + "/stats"
            async with session.get(stats_url) as response:
                stats = await response.json()
    finally:
        await floor.stop()
        await counted.aclose()
        await plain.stop()
        await masking.stop()
        await graph.stop()

    for sink in (plain, masking):
        assert sink.rejected == [] and sink.delivery_count == 5
        inbound = sink.events("message.inbound")
        assert [e["data"]["message"]["text"] for e in inbound] == texts
        sent = {inbound_event(e["data"]["message"]["id"]) for e in inbound}
        assert sent == {e["id"] for e in inbound}  # the ids the benchmark waits for
    replies = [AUTOMATION["welcome"], AUTOMATION["rules"][0]["reply"]]
    assert [m.body["text"]["body"] for m in graph.sent] == replies
    assert [e["data"]["text"] for e in plain.events("message.outbound")] == replies
    hidden = masking.events("message.outbound")
    assert len(hidden) == 2 and all(e["data"]["masked"] and "text" not in e["data"] for e in hidden)
    counts = vars(floor.counts)
    assert counts["accepted"] == 3 and counts["rejected"] == 1 and counts["processed"] == 3
    assert (counts["deliveries"], counts["sends"]) == (10, 2)
    assert counts["failed_deliveries"] == counts["failed_sends"] == 0
    # At least an append per webhook, a read and an acknowledgement, each a round trip.
    assert stats["redis_round_trips"] - trips_before >= 5
    # Every batch was acknowledged and its entries deleted.
    assert await real_redis.xlen(f"{prefix}floor") == 0
