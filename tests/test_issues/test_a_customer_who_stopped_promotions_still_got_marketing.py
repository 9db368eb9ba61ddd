"""A WhatsApp customer who tapped "Stop promotions" (Meta's ``user_preferences`` webhook)
was acknowledged and forgotten: every later marketing campaign went to them again, and
Meta refused each one (131050), which counted as a plain failure and changed nothing
either. The stop is kept on the conversation (the later of two changes holds, whichever
comes first), marketing notifications skip them (``marketing_stopped``) until they
resume, and a 131050 failure records the stop too. Other messages still go."""

from __future__ import annotations

import time
from typing import Any

from bot.model import Identity, conversation_id
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.meta_webhooks import DEFAULT_WABA_ID
from tests.test_api import Shared
from tests.test_notifications import Person, campaign, finished, seed, setup

CONSENT = {"consent": "consent"}
STOPS, RESUMES, NEVER = "447911300001", "447911300002", "447911300003"


def preferences(items: list[Any], phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    """Meta's ``user_preferences`` notification, as its webhook reference shows it."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        "contacts": [
            {"profile": {"name": "Sheena"}, "wa_id": item["wa_id"]}
            for item in items
            if isinstance(item, dict)
        ],
        "user_preferences": items,
    }
    change = {"value": value, "field": "user_preferences"}
    entry = {"id": DEFAULT_WABA_ID, "changes": [change]}
    return {"object": "whatsapp_business_account", "entry": [entry]}


def change(wa_id: str, value: str, at: float) -> dict[str, Any]:
    detail = f"User requested to {value} marketing messages"
    return {
        "wa_id": wa_id,
        "detail": detail,
        "category": "marketing_messages",
        "value": value,
        "timestamp": int(at),
    }


async def stopped(shared: Shared, wa_id: str) -> bool:
    cid = conversation_id(shared.number, Identity("wa", wa_id))
    answer = await shared.call("support", "GET", f"/v1/conversations/{cid}")
    assert answer.status == 200, answer.raw
    return bool(answer.json["conversation"]["marketing_stopped"])


async def send_to_all(shared: Shared, category: str) -> dict[str, Any]:
    cids = [conversation_id(shared.number, Identity("wa", w)) for w in (STOPS, RESUMES, NEVER)]
    body = {
        "number": shared.number,
        "text": "Our spring sale starts today",
        "category": category,
        "audience": {"conversations": cids},
    }
    return await finished(shared, await campaign(shared, body))


async def test_stop_promotions_skips_marketing_until_resumed(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    now = time.time()
    people = [Person(wa, CONSENT, now - 60) for wa in (STOPS, RESUMES, NEVER)]
    await seed(shared.bot.runtime, shared.number, people)
    for items in (
        [change(STOPS, "stop", now - 10), change(RESUMES, "stop", now - 20)],
        [change(RESUMES, "resume", now - 5)],
        [change(STOPS, "stop", now - 10)],  # Meta's retry of the same
        [change(STOPS, "resume", now - 30)],  # an older change, come late: the stop holds
    ):
        answer = await shared.bot.post_whatsapp(preferences(items))
        assert answer.status == 200, await answer.text()
    assert (await answer.json())["received"] == 1
    assert [await stopped(shared, wa) for wa in (STOPS, RESUMES, NEVER)] == [True, False, False]

    found = await send_to_all(shared, "marketing")
    assert found["counts"]["queued"] == 2
    assert found["skipped"]["marketing_stopped"] == 1
    # A utility message is no promotion: it goes to all three.
    found = await send_to_all(shared, "utility")
    assert (found["counts"]["queued"], found["skipped"]["marketing_stopped"]) == (3, 0)

    await shared.bot.post_whatsapp(preferences([change(STOPS, "resume", time.time())]))
    assert not await stopped(shared, STOPS)
    found = await send_to_all(shared, "marketing")
    assert (found["counts"]["queued"], found["skipped"]["marketing_stopped"]) == (3, 0)


async def test_a_marketing_message_meta_failed_with_131050_records_the_stop(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person(NEVER, CONSENT, time.time() - 60)])
    graph = shared.graph
    before = len(graph.sent)
    cid = conversation_id(shared.number, Identity("wa", NEVER))
    body = {
        "number": shared.number,
        "text": "Our spring sale starts today",
        "category": "marketing",
        "audience": {"conversations": [cid]},
    }
    await finished(shared, await campaign(shared, body))
    sent = (await graph.wait_for_sent(before + 1))[-1]
    error = {"code": 131050, "title": "Unable to deliver the message"}
    failed = meta.status_update(PHONE_NUMBER_ID, sent.message_id, NEVER, "failed", errors=[error])
    assert (await shared.bot.post_whatsapp(failed)).status == 200
    await shared.bot.settle()
    assert await stopped(shared, NEVER)


async def test_broken_and_foreign_preferences_store_nothing(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person(STOPS, CONSENT, time.time() - 60)])
    now = time.time()
    for items, status in (
        ([change(STOPS, "maybe", now)], 400),
        ([change(STOPS, "stop", now) | {"timestamp": "soon"}], 400),
        ([change(STOPS, "stop", now) | {"wa_id": "+447911300001"}], 400),
        ([change(STOPS, "stop", now) | {"wa_id": "x" * 100_000}], 400),
        (["stop"], 400),
        ([change(STOPS, "stop", now) | {"category": "offers"}], 200),  # not ours to keep
    ):
        answer = await shared.bot.post_whatsapp(preferences(items))
        assert answer.status == status, (items, await answer.text())
    # Another number's customer, and one of ours who never wrote to the number.
    await shared.bot.post_whatsapp(preferences([change(STOPS, "stop", now)], "999999999"))
    await shared.bot.post_whatsapp(preferences([change("447911300099", "stop", now)]))
    assert not await stopped(shared, STOPS)
    stranger = conversation_id(shared.number, Identity("wa", "447911300099"))
    assert not await shared.bot.runtime.redis.exists(
        shared.bot.runtime.keys.conversation(stranger, "meta")
    )
