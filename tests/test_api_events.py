"""``GET /v1/events``: a service that was down, or is new, reads the events of its numbers
in order, masked for it exactly as its webhooks are, page by page after an event id."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import BotFactory
from tests.emulators.sink import SubscriberSink
from tests.test_api import WA_ID, Shared, call, say, shared_number


async def _walk(shared: Shared, token: str, page: int) -> list[dict[str, Any]]:
    """Every event, read ``page`` at a time, each page after the last one's ``next``."""
    found: list[dict[str, Any]] = []
    path = f"/v1/events?limit={page}"
    while True:
        answer = await call(shared.bot, token, "GET", path)
        assert answer.status == 200, answer.raw
        events = answer.json["events"]
        found += events
        if not events:
            return found
        assert answer.json["next"] == events[-1]["id"]
        path = f"/v1/events?limit={page}&after={answer.json['next']}"


async def _conversation_so_far(shared: Shared) -> None:
    assert (await shared.reply("sales", "Our sales offer", "bob")).status == 201
    await shared.bot.settle()
    await shared.bot.sinks["marketing"].wait_for(lambda deliveries: len(deliveries) >= 3, timeout=5)


async def test_the_feed_is_what_the_webhooks_said_masked_the_same(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await _conversation_so_far(shared)
    feed = await _walk(shared, shared.tokens["marketing"], page=100)
    delivered = {event["id"]: event for event in shared.bot.sinks["marketing"].events()}
    assert {event["id"] for event in feed} == set(delivered)
    assert all(event == delivered[event["id"]] for event in feed)
    assert feed[0]["type"] == "message.inbound"
    replies = [event["data"] for event in feed if event["type"] == "message.outbound"]
    assert replies and all(reply.get("masked") for reply in replies)  # support's and sales'
    own = await _walk(shared, shared.tokens["sales"], page=100)
    texts = [e["data"].get("text") for e in own if e["type"] == "message.outbound"]
    assert "Our sales offer" in texts  # its own reply, in full


async def test_a_page_at_a_time_reads_each_event_once_in_order(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await _conversation_so_far(shared)
    await say(shared.bot, "one more thing")
    whole = await _walk(shared, shared.tokens["sales"], page=500)
    assert len(whole) >= 4
    assert await _walk(shared, shared.tokens["sales"], page=1) == whole
    stamps = [event["timestamp"] for event in whole]
    assert stamps == sorted(stamps)


async def test_a_new_service_reads_what_happened_before_it(make_bot: BotFactory) -> None:
    admin = "admin-" + "e" * 32
    shared = await shared_number(make_bot, admin_token=admin)
    await _conversation_so_far(shared)
    async with SubscriberSink("crm-signing-secret-" + "c" * 16) as crm:
        attach = {"name": "crm", "url": crm.url, "secret": crm.secret, "numbers": [shared.number]}
        created = await call(shared.bot, admin, "POST", "/v1/services", attach)
        assert created.status == 201
        feed = await _walk(shared, created.json["token"], page=2)
    types = [event["type"] for event in feed]
    assert types[0] == "message.inbound" and types.count("message.outbound") == 2


async def test_bad_cursors_and_limits_are_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["sales"]
    for query in ("limit=0", "limit=501", "limit=ten", "limit=-1"):
        answer = await call(shared.bot, token, "GET", f"/v1/events?{query}")
        assert answer.status == 400 and "'limit'" in answer.error, query
    gone = await call(shared.bot, token, "GET", "/v1/events?after=evt_00000000000000000000")
    assert gone.status == 410 and "without 'after'" in gone.error
    nothing = await call(shared.bot, None, "GET", "/v1/events")
    assert nothing.status == 401


async def test_another_numbers_events_are_not_read(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    feed = await _walk(shared, shared.tokens["sales"], page=100)
    other = await call(
        shared.bot, shared.tokens["sales"], "GET", f"/v1/events?after={feed[0]['id']}"
    )
    assert other.status == 200
    await shared.bot.runtime.actions.detach(shared.number, "sales")
    after = await call(shared.bot, shared.tokens["sales"], "GET", "/v1/events")
    assert after.json == {"events": [], "next": None}


async def test_an_erased_customer_leaves_no_content_in_the_feed(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await _conversation_so_far(shared)
    await shared.bot.runtime.profile_book.erase(f"wa:{WA_ID}")
    feed = await _walk(shared, shared.tokens["sales"], page=100)
    raw = json.dumps(feed)
    for content in ("hello", "Our sales offer", WA_ID):
        assert content not in raw, content
    messages = [event["data"] for event in feed if event["type"].startswith("message.")]
    # Another service's reply is masked for sales, erased or not, as its webhook is.
    assert messages and all(data.get("erased") or data.get("masked") for data in messages)
