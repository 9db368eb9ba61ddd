"""Fan-out: signed events to every service, retried with backoff, isolated, dead-lettered."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.config.settings import DeliverySettings
from bot.core.couriers import backoff, due_at
from bot.core.redaction import erased, masked, render
from bot.model import Event, Service
from stores.pipeline import ride
from stores.streams import GROUP
from tests.conftest import FAST_DELIVERY, Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.sink import verify_signature
from tests.test_api import call
from tests.test_crash import wait_until
from tests.test_openapi import Contract, load

WA_ID = "447700900123"


async def test_events_are_signed_with_a_timestamped_hmac(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("support", "sales"))
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    for sink in bot.sinks.values():
        await sink.wait_for_count(2)
        assert sink.rejected == []
        delivery = sink.deliveries[0]
        header = delivery.headers["Switchboard-Signature"]
        assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
        assert abs(int(header[2 : header.index(",")]) - time.time()) < 60
        assert delivery.headers["Switchboard-Event-Id"] == delivery.event["id"]
        assert set(delivery.event) >= {"id", "type", "timestamp", "number", "data"}
    ids = [sink.event_ids() for sink in bot.sinks.values()]
    assert ids[0] == ids[1]  # one event, the same id for every service: the idempotency key


async def test_a_failing_service_gets_the_event_after_retries(make_bot: BotFactory) -> None:
    bot = await make_bot()
    sink = bot.sinks["support"]
    sink.fail(503, count=3)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await sink.wait_for_count(1, type="message.inbound", timeout=15)
    assert sink.failed_attempts >= 3
    assert (
        bot.runtime.meters.value("switchboard_fanout_failed_attempts_total", service="support") >= 3
    )


async def test_a_dead_or_slow_service_never_holds_back_the_others(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("support", "sales"), unreachable=("marketing",))
    bot.sinks["sales"].stall(30)
    for index in range(20):
        await bot.post_whatsapp(
            meta.text_message(bot.phone_number_id, f"4477009{index:05d}", f"hello {index}")
        )
    await bot.sinks["support"].wait_for_count(20, type="message.inbound", timeout=10)
    assert len(bot.sinks["sales"].deliveries) == 0
    bot.sinks["sales"].heal()
    await bot.sinks["sales"].wait_for_count(20, type="message.inbound", timeout=15)


async def test_past_the_horizon_events_are_dead_lettered_and_can_be_replayed(
    make_bot: BotFactory,
) -> None:
    delivery = DeliverySettings(retry_base=0.05, retry_cap=0.1, retry_horizon=0.3, timeout=1)
    bot = await make_bot(delivery=delivery)
    sink = bot.sinks["support"]
    sink.fail(500)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    deliveries = bot.runtime.deliveries
    for _ in range(200):
        if len(await deliveries.dead_letters("support")) == 2:
            break
        await asyncio.sleep(0.05)
    dead = await deliveries.dead_letters("support")
    assert sorted(json.loads(d.event)["type"] for d in dead) == [
        "message.inbound",
        "message.outbound",
    ]
    assert all(d.attempts >= 1 for d in dead)
    sink.heal()
    assert await deliveries.replay_dead_letters("support", time.time()) == 2
    await sink.wait_for_count(2, timeout=10)
    assert await deliveries.dead_letters("support") == []


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    settings = DeliverySettings(retry_base=1.0, retry_cap=60.0)
    for attempts in range(8):
        step = min(60.0, 2.0**attempts)
        delays = {backoff(attempts, settings) for _ in range(50)}
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(delays) > 1  # jitter: retries of many events do not arrive together
    assert backoff(100, settings) <= 60.0


def test_long_retries_of_a_dead_service_fall_due_together_a_few_at_a_time() -> None:
    settings = DeliverySettings(retry_base=1.0, retry_cap=600.0)
    now = 1_800_000_000.25
    for attempts in (0, 2, 3):  # short waits keep their own times
        waits = [backoff(attempts, settings) for _ in range(50)]
        assert [due_at(now, wait) for wait in waits] == [now + wait for wait in waits]
    waits = [backoff(20, settings) for _ in range(1000)]  # 300 to 600 s
    dues = [due_at(now, wait) for wait in waits]
    # Never sooner than the backoff, and at most a sixteenth of the wait later.
    later = [due - now - wait for wait, due in zip(waits, dues, strict=True)]
    assert all(0 <= extra <= wait / 16 for extra, wait in zip(later, waits, strict=True))
    # A thousand retries come due at a few dozen moments, still spread over the 300 s.
    assert 10 <= len(set(dues)) <= 20
    assert max(dues) - min(dues) >= 250


def _outbound(service: str) -> str:
    return Event.new(
        "message.outbound",
        "wa:1",
        {
            "id": "snd_1",
            "service": service,
            "agent": "bo@example.com",
            "text": "secret offer",
            "template": {"name": "promo"},
            "media": {"id": "m1", "caption": "hidden caption"},
            "conversation_id": "c_1",
            "timestamp": 1.0,
        },
    ).to_json()


def test_render_masks_other_services_replies_for_masking_services() -> None:
    masked = json.loads(render(Service("support", "http://x", "k"), _outbound("sales")))
    assert masked["data"]["masked"] is True
    assert masked["data"]["service"] == "sales"
    assert masked["data"]["agent"] == "bo@example.com"
    body = json.dumps(masked)
    for hidden in ("secret offer", "promo", "hidden caption", '"m1"'):
        assert hidden not in body


def test_render_keeps_content_for_the_sender_and_for_non_masking_services() -> None:
    own = json.loads(render(Service("sales", "http://x", "k"), _outbound("sales")))
    assert own["data"]["text"] == "secret offer"
    open_service = Service("analytics", "http://x", "k", mask=False)
    assert json.loads(render(open_service, _outbound("sales")))["data"]["text"] == "secret offer"


def _inbound(conversation: str, profile: str) -> str:
    message = {"id": "wamid.1", "direction": "inbound", "kind": "text", "text": "my secret"}
    data = {
        "conversation_id": conversation,
        "profile": profile,
        "customer": "wa:447700900123",
        "name": "Ann Secret",
        "channel": "whatsapp",
        "message": message | {"media": {"id": "m9", "caption": "hidden"}},
    }
    return Event.new("message.inbound", "wa:1", data).to_json()


ERASED = (frozenset({"p_1"}), frozenset({"c_1"}))


def test_erasure_strips_the_content_of_events_about_the_person() -> None:
    for event in (_inbound("c_1", "p_other"), _inbound("c_other", "p_1"), _outbound("sales")):
        stripped = erased(event, *ERASED)
        assert stripped is not None
        data = json.loads(stripped)["data"]
        assert data["erased"] is True and data["conversation_id"] in ("c_1", "c_other")
        for hidden in ("secret", "447700900123", "hidden", '"m9"', "promo"):
            assert hidden not in stripped
        assert erased(stripped, *ERASED) is None  # stripped once is enough
    inbound = json.loads(erased(_inbound("c_1", "p_1"), *ERASED) or "{}")
    assert (inbound["data"]["customer"], inbound["data"]["name"]) == ("erased", "")
    assert inbound["data"]["message"] == {
        "id": "wamid.1",
        "direction": "inbound",
        "kind": "text",
        "erased": True,
    }


def test_erasure_leaves_others_and_keeps_a_merge_without_its_identities() -> None:
    assert erased(_inbound("c_2", "p_2"), *ERASED) is None
    claimed = Event.new("conversation.claimed", "wa:1", {"conversation_id": "c_1"}).to_json()
    assert erased(claimed, *ERASED) is None  # who holds it says nothing of the person
    merge = {"profile": "p_1", "merged": "p_0", "identities": ["phone:+447700900123"]}
    stripped = erased(Event.new("profile.merged", "", merge).to_json(), *ERASED)
    assert stripped is not None
    assert json.loads(stripped)["data"] == {
        "profile": "p_1",
        "merged": "p_0",
        "identities": [],
        "erased": True,
    }


def test_render_never_masks_the_runtimes_own_automation() -> None:
    """The README's promise: what the bot's own automation (service ``bot``) tells the
    customer reaches every service in full; a parent service's automation answers in its
    own name and is masked like its other replies."""
    masking = Service("support", "http://x", "k")
    assert masking.mask
    assert json.loads(render(masking, _outbound("bot")))["data"]["text"] == "secret offer"
    assert json.loads(render(masking, _outbound("sales")))["data"]["masked"] is True


def test_a_masked_reply_keeps_no_place_card_or_reaction() -> None:
    """Masking is a whitelist: content kinds added since are hidden with the text."""
    reply = {
        "id": "snd_1",
        "direction": "outbound",
        "kind": "location",
        "service": "sales",
        "timestamp": 1.0,
        "text": "",
        "location": {"latitude": 51.5, "longitude": -0.1, "name": "Shop", "address": "1 High St"},
        "contacts": [{"name": "Bob", "phones": [], "emails": [], "organization": ""}],
        "reaction": {"message_id": "wamid.1", "emoji": "👍"},
    }
    assert masked(reply) == {
        "id": "snd_1",
        "direction": "outbound",
        "kind": "location",
        "service": "sales",
        "timestamp": 1.0,
        "masked": True,
    }


async def test_the_events_a_round_trip_queues_are_taken_in_it(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("support", "sales"))

    async def still_queued() -> str:
        left = [await bot.runtime.deliveries.pending(name) for name in bot.sinks]
        return f"{left} deliveries not settled" if any(left) else ""

    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.sinks["support"].wait_for_count(1, type="message.inbound")
    await bot.settle()
    await wait_until(still_queued, timeout=5)
    number = bot.sinks["support"].deliveries[0].event["number"]
    keys = [bot.runtime.keys.fanout(name) for name in bot.sinks]
    pending: list[Any] = []

    def look(pipe: Any) -> Callable[[list[Any] | BaseException], None]:
        for key in keys:
            pipe.xpending(key, GROUP)
        return pending.append

    async with bot.runtime.store.round_trip() as pipe:
        await bot.runtime.fanout.queue_events(pipe, [Event.new("test.taken", number, {})])
        ride(pipe, look)  # after the fan-out's own, on the same round trip
        await pipe.execute()
    # Taken for delivery in the round trip that queued them: no read of the reader's own.
    assert [answer["pending"] for answer in pending[0]] == [1, 1]
    for sink in bot.sinks.values():
        await sink.wait_for_count(1, type="test.taken")
    await wait_until(still_queued, timeout=5)


async def test_a_lone_delivery_is_settled_soon_without_more_traffic(make_bot: BotFactory) -> None:
    bot = await make_bot()
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.sinks["support"].wait_for_count(1, type="message.inbound")
    # Its acknowledgement waits for the next read, or a short timer when none comes.

    async def still_queued() -> str:
        left = await bot.runtime.deliveries.pending("support")
        return f"{left} deliveries not settled" if left else ""

    await wait_until(still_queued, timeout=5)


ADMIN = "admin-" + "b" * 32


async def opt_in_to_batches(bot: Bot, name: str, max_events: int) -> None:
    sink = bot.sinks[name]
    body = {"name": name, "url": sink.url, "secret": sink.secret}
    answer = await call(
        bot, ADMIN, "POST", "/v1/services", body | {"batch": {"max_events": max_events}}
    )
    assert answer.status == 201, answer.raw


async def test_a_batched_service_gets_its_events_signed_in_order_once(
    make_bot: BotFactory,
) -> None:
    one_at_a_time = replace(FAST_DELIVERY, concurrency=1, timeout=15.0)
    bot = await make_bot(services=("support", "sales"), delivery=one_at_a_time, admin_token=ADMIN)
    await opt_in_to_batches(bot, "support", 50)
    batched, single = bot.sinks["support"], bot.sinks["sales"]
    batched.stall(10)  # the first POST waits: the events after it go out together
    texts = [f"hello {index}" for index in range(12)]
    for text in texts:
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, text))
    await bot.settle()
    batched.heal()
    await batched.wait_for_count(12, type="message.inbound", timeout=15)
    await single.wait_for_count(12, type="message.inbound", timeout=15)

    assert batched.rejected == [] and batched.posts < batched.delivery_count
    contract = Contract(load())
    for delivery in batched.deliveries:
        contract.check(json.loads(delivery.raw_body), "/components/schemas/EventBatch")
        header = delivery.headers["Switchboard-Signature"]
        assert verify_signature(batched.secret, header, delivery.raw_body) is None
        events = json.loads(delivery.raw_body)["events"]
        assert delivery.headers["Switchboard-Batch"] == str(len(events))
        assert delivery.headers["Switchboard-Event-Id"] == events[0]["id"]
        assert delivery.event in events
    inbound = [event["data"]["message"]["text"] for event in batched.events("message.inbound")]
    assert inbound == texts  # in order, each once
    assert batched.delivery_count == len(batched.event_ids())
    assert single.event_ids() == batched.event_ids()  # the same events, the same ids

    # A service that did not opt in still gets one event per POST, unwrapped.
    assert single.posts == single.delivery_count
    for delivery in single.deliveries:
        assert "Switchboard-Batch" not in delivery.headers
        assert json.loads(delivery.raw_body) == delivery.event


async def test_a_failing_batched_service_gets_the_batch_retried(make_bot: BotFactory) -> None:
    bot = await make_bot(admin_token=ADMIN)
    await opt_in_to_batches(bot, "support", 10)
    sink = bot.sinks["support"]
    sink.fail(503, count=2)
    for index in range(3):
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, f"hi {index}"))
    await sink.wait_for_count(3, type="message.inbound", timeout=15)
    assert sink.failed_attempts >= 2
    assert sink.rejected == []
    assert sink.delivery_count == len(sink.event_ids())  # a failed batch is not half-delivered
    assert all("Switchboard-Batch" in delivery.headers for delivery in sink.deliveries)
