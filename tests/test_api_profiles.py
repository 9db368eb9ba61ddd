"""/v1/profiles as services use it: lookup by any identity, merge, convert, daily notes,
erasure (PS-2, PS-5, PS-6, PS-7), through WhatsApp webhooks on the real Redis."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote

import pytest

from bot.model import Identity
from stores.profiles import Sighting
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import Shared, say, shared_number, wait_for_event

WA_ID = "447911123456"


async def profile_of(shared: Shared, reference: str) -> dict[str, Any]:
    answer = await shared.call("sales", "GET", f"/v1/profiles/{quote(reference, safe='')}")
    assert answer.status == 200, answer.raw
    profile: dict[str, Any] = answer.json["profile"]
    return profile


async def test_a_whatsapp_customer_is_found_by_every_identity(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    by_id = await profile_of(shared, f"wa:{WA_ID}")
    assert by_id["stage"] == "lead" and by_id["source"] == "whatsapp"
    assert set(by_id["identities"]) == {f"wa:{WA_ID}", "phone:+447911123456"}
    assert by_id["conversations"] == [shared.conversation]
    for reference in ("phone:+447911123456", "+44 7911 123456", "07911 123456", by_id["id"]):
        assert (await profile_of(shared, reference))["id"] == by_id["id"]
    # A "+" that arrives unencoded in a query string is read as the "+" it was.
    answer = await shared.call("sales", "GET", "/v1/profiles?identity=phone:+447911123456")
    assert answer.status == 200 and answer.json["profile"]["id"] == by_id["id"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/profiles/p_000000000000deadbeef", 404),
        ("/v1/profiles/phone:+447000000001", 404),
        ("/v1/profiles/phone:12", 400),
        ("/v1/profiles/fax:123", 400),
        ("/v1/profiles/" + "x" * 400, 400),
        ("/v1/profiles/%3Cscript%3E", 400),
        ("/v1/profiles?identity=", 400),
        ("/v1/profiles?identity=email:not-an-email", 400),
    ],
)
async def test_unknown_and_unreadable_references_are_refused(
    make_bot: BotFactory, path: str, status: int
) -> None:
    shared = await shared_number(make_bot)
    answer = await shared.call("sales", "GET", path)
    assert answer.status == status
    assert answer.error


async def test_profiles_need_a_token(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    response = await shared.bot.client.get(f"/v1/profiles/wa:{WA_ID}")
    assert response.status == 401


async def test_merge_keeps_the_oldest_and_tells_every_service(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    older = (await profile_of(shared, f"wa:{WA_ID}"))["id"]
    newer = await shared.bot.runtime.profiles.resolve(
        [Identity("email", "ann@example.com")], channel="web"
    )
    answer = await shared.call(
        "marketing", "POST", f"/v1/profiles/{newer}/merge", {"other": f"wa:{WA_ID}"}
    )
    assert answer.status == 200, answer.raw
    assert answer.json["merged"] == newer
    assert answer.json["profile"]["id"] == older
    assert "email:ann@example.com" in answer.json["profile"]["identities"]
    for sink in shared.bot.sinks.values():
        event = await wait_for_event(sink, "profile.merged")
        assert event["data"] == {
            "profile": older,
            "merged": newer,
            "identities": ["email:ann@example.com"],
        }
    # The merged id still answers, with the survivor.
    merged = await profile_of(shared, newer)
    assert merged["id"] == older and merged["requested"] == newer
    again = await shared.call("sales", "POST", f"/v1/profiles/{older}/merge", {"other": newer})
    assert again.status == 200 and again.json["merged"] is None


async def test_a_refused_merge_is_a_409_with_the_reason(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    profiles = shared.bot.runtime.profiles
    first = await profiles.resolve([Identity("ext", "crm-1")], channel="import")
    await profiles.resolve([Identity("ext", "crm-1"), Identity("wa", WA_ID)], channel="import")
    answer = await shared.call(
        "sales",
        "POST",
        f"/v1/profiles/wa:{WA_ID}/merge",
        {"other": (await profiles.resolve([Identity("ext", "crm-2")], channel="import"))},
    )
    assert answer.status == 409
    assert "ext" in answer.error
    assert (await profile_of(shared, first))["refusals"]


async def test_convert_turns_a_lead_into_a_contact_that_keeps_its_messages(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    answer = await shared.call("sales", "POST", f"/v1/profiles/wa:{WA_ID}/convert")
    assert answer.status == 200 and answer.json["profile"]["stage"] == "contact"
    contact = answer.json["profile"]["id"]
    await say(shared.bot, "it's me again")
    event = await wait_for_event(
        shared.bot.sinks["sales"],
        "message.inbound",
        lambda data: data["message"]["text"] == "it's me again",
    )
    assert event["data"]["profile"] == contact
    assert (await profile_of(shared, contact))["stage"] == "contact"


async def test_the_lawful_basis_is_recorded_with_its_source_and_kept_by_a_merge(
    make_bot: BotFactory,
) -> None:
    """``PUT /v1/profiles/{ref}/consent`` records the basis, the calling service and the
    time; the profile shows them, and a merge carries them to the survivor."""
    shared = await shared_number(make_bot)
    newer = await shared.bot.runtime.profiles.resolve(
        [Identity("email", "ann@example.com")], channel="web"
    )
    before = time.time()
    answer = await shared.call(
        "marketing", "PUT", f"/v1/profiles/{newer}/consent", {"basis": "legitimate_interest"}
    )
    assert answer.status == 200, answer.raw
    consent = answer.json["profile"]["consent"]
    assert consent["basis"] == "legitimate_interest" and consent["source"] == "api:marketing"
    assert before <= consent["at"] <= time.time()
    assert answer.json["profile"]["fields"] == {"consent": "legitimate_interest"}
    merged = await shared.call("sales", "POST", f"/v1/profiles/wa:{WA_ID}/merge", {"other": newer})
    assert merged.status == 200 and merged.json["profile"]["consent"] == consent
    bad = await shared.call("sales", "PUT", f"/v1/profiles/{newer}/consent", {"basis": "yes"})
    assert bad.status == 400 and "lawful basis" in bad.error


async def test_daily_notes_hold_each_day_of_each_channel(make_bot: BotFactory) -> None:
    began = time.time()
    shared = await shared_number(make_bot)
    await shared.reply("sales", "Sales here: 10% off today", agent="bob")
    yesterday = int(time.time()) - 86_400
    await say(shared.bot, "a message from yesterday", timestamp=yesterday)
    await shared.bot.settle()
    answer = await shared.call("support", "GET", f"/v1/profiles/wa:{WA_ID}/notes")
    assert answer.status == 200
    notes = answer.json["notes"]
    assert [note["date"] for note in notes] == sorted(note["date"] for note in notes)
    assert len(notes) == 2
    today = notes[-1]
    # Days begin at midnight UTC (notes_timezone), whatever the zone of the machine.
    days = {time.strftime("%Y-%m-%d", time.gmtime(at)) for at in (began, time.time())}
    assert today["date"] in days
    day, month, year = today["date"].split("-")[::-1]
    assert today["title"] == f"WhatsApp Chat with Ann ({day}/{month}/{year})"
    texts = [line["text"] for line in today["messages"]]
    assert texts[0] == "hello"
    # Support sees that sales replied, never what they said (SN-3).
    assert "[reply sent]" in texts
    assert "10% off" not in answer.raw.decode()
    own = await shared.call("sales", "GET", f"/v1/profiles/wa:{WA_ID}/notes")
    assert "Sales here: 10% off today" in own.raw.decode()
    one_day = await shared.call(
        "sales", "GET", f"/v1/profiles/wa:{WA_ID}/notes?day={notes[0]['date']}"
    )
    assert [note["date"] for note in one_day.json["notes"]] == [notes[0]["date"]]
    bad = await shared.call("sales", "GET", f"/v1/profiles/wa:{WA_ID}/notes?day=yesterday")
    assert bad.status == 400


async def test_erasure_removes_the_person_and_stale_data_cannot_bring_them_back(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    runtime = shared.bot.runtime
    profile_id = (await profile_of(shared, f"wa:{WA_ID}"))["id"]
    note = {"text": "Ann from Leeds, wants a callback", "author": "bob"}
    notes_path = f"/v1/conversations/{shared.conversation}/notes"
    assert (await shared.call("support", "POST", notes_path, note)).status == 201
    answer = await shared.call("support", "DELETE", f"/v1/profiles/{profile_id}")
    assert answer.status == 200, answer.raw
    assert answer.json["erased"]["profile"] == profile_id
    for sink in shared.bot.sinks.values():
        event = await wait_for_event(sink, "profile.erased")
        assert event["data"]["profile"] == profile_id
    gone = await shared.call("sales", "GET", f"/v1/profiles/{profile_id}")
    assert gone.status == 410
    assert (await shared.call("sales", "GET", f"/v1/profiles/wa:{WA_ID}")).status == 404
    timeline = await runtime.conversations.timeline(shared.conversation)
    assert timeline and all(m.get("erased") for m in timeline)
    assert "hello" not in str(timeline)
    assert (await shared.call("support", "GET", notes_path)).json["notes"] == []
    refused = await shared.reply("support", "are you there?")
    assert refused.status == 410
    # A message sent before the erasure, delivered late, is dropped: nothing re-created.
    late = meta.text_message(
        shared.bot.phone_number_id, WA_ID, "late retry", timestamp=int(time.time()) - 60
    )
    assert (await shared.bot.post_whatsapp(late)).status == 200
    await shared.bot.settle()
    assert await runtime.profiles.lookup(Identity("wa", WA_ID)) == ""
    assert "late retry" not in str(await runtime.conversations.timeline(shared.conversation))
    # The same person writing again later is a new customer.
    (fresh,) = await runtime.profiles.resolve_many(
        [Sighting((Identity("wa", WA_ID),), "whatsapp", "", time.time() + 1)]
    )
    assert fresh.created and fresh.profile != profile_id


async def test_a_service_reads_notes_of_its_own_numbers_only(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await shared.bot.runtime.directory.detach(shared.number, "sales")
    answer = await shared.call("sales", "GET", f"/v1/profiles/wa:{WA_ID}/notes")
    assert answer.status == 200 and answer.json["notes"] == []
    assert "hello" not in answer.raw.decode()
    support = await shared.call("support", "GET", f"/v1/profiles/wa:{WA_ID}/notes")
    assert support.json["notes"][0]["messages"][0]["text"] == "hello"


async def test_an_erased_customer_who_writes_again_can_be_answered(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    assert (await shared.call("support", "DELETE", f"/v1/profiles/wa:{WA_ID}")).status == 200
    # WhatsApp stamps whole seconds: a message of the erasure's own second counts as older.
    await asyncio.sleep(1.1)
    await say(shared.bot, "hello again, new start")
    fresh = await profile_of(shared, f"wa:{WA_ID}")
    assert fresh["stage"] == "lead"
    answer = await shared.reply("support", "Welcome back")
    assert answer.status == 201, answer.raw
    timeline = await shared.bot.runtime.conversations.timeline(shared.conversation)
    assert [m.get("text") for m in timeline] == [
        "hello again, new start",
        "Support here, how can we help?",  # a new customer is welcomed
        "Welcome back",
    ]
