"""Notifications (AU-4) through the API, the emulators and the real Redis: campaigns to
lists, topics and filters, every skip reason, quiet hours, reports that add up, and
parent-only sending (SN-6).

Also the helpers of the other ``test_notifications_*`` files: contacts seeded in bulk
(profiles through ``ProfileStore.resolve_many``, conversations in pipelines).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.config.notifications import NotificationSettings, QuietHours
from bot.model import Identity, conversation_id
from bot.runtime import Runtime
from stores.profiles import Sighting
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import THREE, WA_ID, Shared, shared_number

WA = WA_ID

NO_QUIET = NotificationSettings(quiet_hours=None)


@dataclass
class Person:
    """A contact to seed: a WhatsApp id, profile fields, and their conversation."""

    wa: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    wrote_at: float | None = None
    """When they last wrote; None: no conversation on the number."""
    opted_out: bool = False
    marketing_stopped: bool = False
    """Stopped the number's marketing messages in WhatsApp ("Stop promotions")."""
    identities: tuple[Identity, ...] = ()
    """Instead of the WhatsApp id and its phone."""
    name: str = ""


async def seed(runtime: Runtime, number: str, people: Sequence[Person]) -> list[str]:
    """Profiles (and conversations where they wrote), fast: a few round trips per 1,000."""
    profiles: list[str] = []
    for start in range(0, len(people), 1000):
        chunk = people[start : start + 1000]
        sightings = [
            Sighting(
                person.identities
                or (Identity("wa", person.wa), Identity("phone", f"+{person.wa}")),
                "whatsapp",
                person.name,
                person.wrote_at or time.time(),
                fields={f"f:{k}": v for k, v in person.fields.items()},
            )
            for person in chunk
        ]
        resolved = await runtime.profiles.resolve_many(sightings)
        conversations = runtime.conversations
        async with runtime.redis.pipeline(transaction=False) as pipe:
            for n, (person, resolution) in enumerate(zip(chunk, resolved, strict=True)):
                profiles.append(resolution.profile)
                if person.wrote_at is None:
                    continue
                cid = conversation_id(number, Identity("wa", person.wa))
                message = {
                    "id": f"wamid.seed{start + n}",
                    "direction": "inbound",
                    "kind": "text",
                    "text": "hi",
                    "timestamp": person.wrote_at,
                }
                conversations.queue_record(
                    pipe,
                    cid,
                    message,
                    direction="inbound",
                    number=number,
                    customer=f"wa:{person.wa}",
                    channel="whatsapp",
                    profile=resolution.profile,
                )
                runtime.profiles.queue_conversation(pipe, resolution.profile, cid)
                conversations.touch(pipe, number, cid, person.wrote_at)
                if person.opted_out:
                    conversations.queue_opt_out(pipe, cid, True)
                if person.marketing_stopped:
                    conversations.queue_marketing(pipe, cid, True, person.wrote_at)
            await pipe.execute()
    return profiles


async def until(check: Any, timeout: float = 10.0, what: str = "") -> Any:
    """Poll ``check()`` (sync or async) until it is truthy; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


async def report(shared: Shared, nid: str, caller: str = "support") -> dict[str, Any]:
    answer = await shared.call(caller, "GET", f"/v1/notifications/{nid}")
    assert answer.status == 200, answer.raw
    document: dict[str, Any] = answer.json["notification"]
    return document


async def finished(
    shared: Shared, nid: str, timeout: float = 20.0, *, deferred: bool = False
) -> dict[str, Any]:
    """The report once every run is done (or, with ``deferred``, has only deferred
    recipients left) and every queued send went out or failed."""

    async def done() -> dict[str, Any] | None:
        await shared.bot.settle(timeout)
        found = await report(shared, nid)
        runs = found["runs"]
        if deferred:  # a run not yet started shows an audience of 0, all of it evaluated
            settled = runs and all(
                0 < r["progress"]["audience"] == r["progress"]["evaluated"] for r in runs
            )
        else:
            settled = runs and all(run["status"] == "done" for run in runs)
        return found if settled and found["counts"]["in_flight"] == 0 else None

    found: dict[str, Any] = await until(done, timeout, f"notification {nid} to finish")
    return found


def adds_up(found: dict[str, Any]) -> None:
    """recipients = queued + deferred + skipped, and queued = sent + failed + withdrawn +
    in flight."""
    counts, skipped = found["counts"], found["skipped"]
    assert counts["recipients"] == counts["queued"] + counts["deferred"] + sum(skipped.values())
    made = counts["sent"] + counts["failed"] + counts["withdrawn"]
    assert counts["queued"] == made + counts["in_flight"]
    for run in found["runs"]:
        c = run["counts"]
        assert c["recipients"] == c["queued"] + c["deferred"] + sum(run["skipped"].values())


async def campaign(shared: Shared, body: dict[str, Any], caller: str = "support") -> str:
    answer = await shared.call(caller, "POST", "/v1/notifications", body)
    assert answer.status == 202, answer.raw
    nid: str = answer.json["notification"]["id"]
    return nid


async def setup(make_bot: BotFactory, **overrides: Any) -> Shared:
    overrides.setdefault("notifications", NO_QUIET)
    return await shared_number(make_bot, **overrides)


# --- Campaigns -----------------------------------------------------------------------


async def test_a_campaign_to_listed_conversations_is_sent_and_reported(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    others = [Person(f"44791100{n:04d}", wrote_at=time.time() - 60) for n in range(3)]
    await seed(shared.bot.runtime, shared.number, others)
    cids = [shared.conversation] + [
        conversation_id(shared.number, Identity("wa", p.wa)) for p in others
    ]
    body = {"number": shared.number, "text": "Sale starts now", "audience": {"conversations": cids}}
    nid = await campaign(shared, body)
    found = await finished(shared, nid)
    assert found["counts"] | {"clicked": 0} == {
        "recipients": 4,
        "queued": 4,
        "sent": 4,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "withdrawn": 0,
        "deferred": 0,
        "clicked": 0,
        "unsubscribed": 0,
        "in_flight": 0,
    }
    assert found["status"] == "sent" and sum(found["skipped"].values()) == 0
    sent = [m for m in shared.graph.sent if m.text == "Sale starts now"]
    assert sorted(m.to for m in sent) == sorted(["447911123456", *(p.wa for p in others)])
    adds_up(found)


async def test_a_subscriber_gets_403_naming_the_parent(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    body = {"number": shared.number, "text": "hi", "audience": {"topic": "offers"}}
    for name in ("sales", "marketing"):
        answer = await shared.call(name, "POST", "/v1/notifications", body)
        assert answer.status == 403
        assert "'support'" in answer.error and "parent" in answer.error
    nid = await campaign(shared, body)
    for name in ("sales", "marketing"):
        answer = await shared.call(name, "DELETE", f"/v1/notifications/{nid}")
        assert answer.status == 403 and "'support'" in answer.error
    assert THREE[0] == "support"


def quiet_now(offset_hours: int) -> QuietHours:
    """Quiet hours that hold now in the zone ``offset_hours`` ahead of UTC, not in UTC: from
    an hour before now to 90 minutes after it there, so that no edge comes as a test runs,
    whatever the minute it starts at."""
    now = time.gmtime()
    minute = (now.tm_hour + offset_hours) % 24 * 60 + now.tm_min
    return QuietHours((minute - 60) % 1440, (minute + 90) % 1440 or 24 * 60)


async def test_every_skip_reason_and_a_deferral_are_counted_once(make_bot: BotFactory) -> None:
    quiet = NotificationSettings(quiet_hours=quiet_now(6))
    shared = await setup(make_bot, notifications=quiet)
    runtime, now = shared.bot.runtime, time.time()
    ok = {"consent": "consent", "city": "Leeds"}
    people = {
        "queued": Person("447911200001", ok, now - 60),
        "queued_contract": Person("447911200002", ok | {"consent": "contract"}, now - 60),
        "opted_out": Person("447911200003", ok, now - 60, opted_out=True),
        "topic_conflict": Person("447911200004", ok | {"topics_off": "news,offers"}, now - 60),
        "no_consent": Person("447911200005", {"city": "Leeds"}, now - 60),
        "marketing_stopped": Person("447911200010", ok, now - 60, marketing_stopped=True),
        "outside_window_no_template": Person("447911200006", ok, now - 30 * 3600),
        "invalid_number": Person(
            fields=ok, identities=(Identity("phone", "+447700900123"),), name="drama"
        ),
        "no_channel": Person(fields=ok, identities=(Identity("email", "x@example.com"),)),
        "missing_variable": Person("447911200007", {"consent": "consent"}, now - 60),
        "suppressed": Person("447911200008", ok, now - 60),
        "deferred": Person("447911200009", ok | {"timezone": "Etc/GMT-6"}, now - 60),
    }
    ids = dict(zip(people, await seed(runtime, shared.number, list(people.values())), strict=True))
    await runtime.profile_book.erase(ids["suppressed"])
    entries = [*ids.values(), "+44 7700 900124", "phone:12", ids["queued"], "phone:+447911200001"]
    body = {
        "number": shared.number,
        "text": "{profile.city} deals for you",
        "category": "marketing",
        "topic": "offers",
        "audience": {"profiles": entries},
    }
    nid = await campaign(shared, body)

    async def deferred_and_done() -> dict[str, Any] | None:
        found = await report(shared, nid)
        return (
            found if found["counts"]["queued"] == 2 and not found["counts"]["in_flight"] else None
        )

    found = await until(deferred_and_done, 10, "the campaign's first pass")
    skipped = found["skipped"]
    assert skipped == {
        "suppressed": 1,
        "invalid_number": 3,  # a profile's invalid phone, one nobody has, one unreadable
        "no_channel": 1,
        "opted_out": 1,
        "blocked": 0,  # a Telegram customer's
        "topic_conflict": 1,
        "no_consent": 1,
        "marketing_stopped": 1,
        "outside_window_no_template": 1,
        "missing_variable": 1,
        "too_long": 0,
        "superseded": 0,
        "ended": 0,
    }
    # The same person listed three ways is one recipient.
    assert found["counts"]["recipients"] == 14 and found["counts"]["deferred"] == 1
    assert found["runs"][0]["status"] == "sending" and found["status"] == "sending"
    adds_up(found)
    sent = sorted(m.to for m in shared.graph.sent if m.text == "Leeds deals for you")
    assert sent == ["447911200001", "447911200002"]

    # Quiet hours end: the deferred recipient is decided again, and goes.
    run = found["runs"][0]["run"]
    later = found["runs"][0]["deferred_until"]
    assert time.time() < later <= time.time() + 7200
    result = await runtime.outreach.notifications.runs.execute(nid, run, clock=lambda: later + 1)
    assert result.done and len(result.sent) == 1
    found = await finished(shared, nid)
    assert found["counts"]["queued"] == 3 and found["counts"]["deferred"] == 0
    assert found["counts"]["sent"] == 3 and found["status"] == "sent"
    adds_up(found)


async def test_quiet_hours_wait_in_the_contacts_own_time_zone(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(quiet_hours=quiet_now(6)))
    runtime = shared.bot.runtime
    people = [
        Person("447911300001", {"timezone": "Etc/GMT-6"}, time.time() - 60),  # quiet there
        Person("447911300002", {}, time.time() - 60),  # the deployment's UTC: not quiet
        Person("447911300003", {"timezone": "Nowhere/Atlantis"}, time.time() - 60),
    ]
    ids = await seed(runtime, shared.number, people)
    body = {"number": shared.number, "text": "Hello", "audience": {"profiles": ids}}
    nid = await campaign(shared, body)
    found = await until(lambda: report(shared, nid), what="a report")
    found = await until(
        lambda: _with(report(shared, nid), lambda r: r["counts"]["sent"] == 2), what="2 sends"
    )
    assert found["counts"]["deferred"] == 1
    quiet = runtime.settings.notifications.quiet_hours
    assert quiet is not None
    # Deferred to the end of the quiet span there, not skipped.
    scheduled = await runtime.outreach.notifications.store.scheduled(nid)
    assert len(scheduled) == 1
    end_local = ((quiet.end - 6 * 60) % 1440) // 60, quiet.end % 60
    assert time.gmtime(scheduled[0][1])[3:5] == end_local
    assert 3600 < scheduled[0][1] - time.time() <= 5400
    unquiet = {"number": shared.number, "text": "Now", "audience": {"profiles": ids}}
    nid = await campaign(shared, unquiet | {"respect_quiet_hours": False})
    assert (await finished(shared, nid))["counts"]["sent"] == 3


async def _with(found: Any, check: Any) -> Any:
    value = await found
    return value if check(value) else None


# --- Segments, engagement and topics ---------------------------------------------------------


async def test_a_topic_reaches_the_numbers_contacts_and_a_filter_a_field(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    now = time.time()
    people = [
        Person("447911800001", {"city": "Leeds"}, now - 60),
        Person("447911800002", {"city": "leeds "}, now - 60),  # the same city, typed so
        Person("447911800003", {"city": "York", "topics_off": "offers"}, now - 60),
        Person("447911800004", {"city": "Leeds"}),  # no conversation on the number
    ]
    await seed(shared.bot.runtime, shared.number, people)
    topic = await campaign(
        shared, {"number": shared.number, "text": "Offers!", "audience": {"topic": "offers"}}
    )
    found = await finished(shared, topic)
    # Ann (who said hello) and the three who wrote; one of them left the topic.
    assert found["counts"]["recipients"] == 4 and found["counts"]["sent"] == 3
    assert found["skipped"]["topic_conflict"] == 1 and found["topic"] == "offers"
    body = {
        "number": shared.number,
        "text": "Leeds meetup",
        "audience": {"filter": {"field": "city", "equals": "Leeds"}},
    }
    leeds = await finished(shared, await campaign(shared, body))
    assert leeds["counts"]["recipients"] == 2 and leeds["counts"]["sent"] == 2
    assert leeds["audience"] == {"kind": "filter", "filter": {"field": "city", "equals": "Leeds"}}
    sent = sorted(m.to for m in shared.graph.sent if m.text == "Leeds meetup")
    assert sent == ["447911800001", "447911800002"]


async def test_clicks_and_unsubscribes_after_a_notification_are_counted(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.outreach.notifications

    monkeypatch.setattr(bot.outreach.notifications, "ENGAGEMENT_SECONDS", 0.0)
    shared = await setup(make_bot, links=True)
    now = time.time()
    people = [Person(f"44791190000{n}", wrote_at=now - 60) for n in range(4)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    body = {
        "number": shared.number,
        "text": "See https://shop.example.com/sale",
        "topic": "offers",
        "audience": {"profiles": ids},
    }
    nid = await campaign(shared, body)
    found = await finished(shared, nid)
    assert (found["counts"]["clicked"], found["counts"]["unsubscribed"]) == (0, 0)
    sent = {m.to: m.text or "" for m in shared.graph.sent if "/l/" in (m.text or "")}
    assert len(sent) == 4
    for to in (people[0].wa, people[0].wa, people[1].wa):  # two clicks by one: one clicker
        token = sent[to].rsplit("/l/", 1)[1]
        response = await shared.bot.client.get(f"/l/{token}", allow_redirects=False)
        assert response.status == 302
    await shared.bot.post_whatsapp(
        meta.text_message(shared.bot.phone_number_id, people[2].wa, "STOP")
    )
    await shared.bot.settle()
    answer = await shared.call(
        "sales", "POST", f"/v1/profiles/wa:{people[3].wa}/topics", {"unsubscribe": ["offers"]}
    )
    assert answer.status == 200 and answer.json["topics_off"] == ["offers"]
    found = await report(shared, nid)
    assert (found["counts"]["clicked"], found["counts"]["unsubscribed"]) == (2, 2)
    again = await campaign(shared, body)
    skipped = (await finished(shared, again))["skipped"]
    assert (skipped["opted_out"], skipped["topic_conflict"]) == (1, 1)


async def test_topics_are_set_and_cleared_for_a_profile(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    path = f"/v1/profiles/wa:{WA}/topics"
    answer = await shared.call("support", "POST", path, {"unsubscribe": ["offers", "news"]})
    assert answer.json["topics_off"] == ["news", "offers"]
    answer = await shared.call("support", "POST", path, {"subscribe": ["news"]})
    assert answer.json["topics_off"] == ["offers"]
    profile = await shared.bot.runtime.profile_book.view(f"wa:{WA}")
    assert profile["fields"]["topics_off"] == "offers"
    for body, status in (
        ({}, 400),
        ({"unsubscribe": ["Bad Topic"]}, 400),
        ({"subscribe": "x"}, 400),
    ):
        assert (await shared.call("support", "POST", path, body)).status == status
    unknown = await shared.call(
        "support", "POST", "/v1/profiles/p_000000000000000000000/topics", {"subscribe": ["a"]}
    )
    assert unknown.status == 404


async def test_bad_campaigns_are_refused_with_a_reason(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    base = {"number": shared.number, "text": "hi", "audience": {"topic": "offers"}}
    bad = [
        {**base, "number": "wa:000"},
        {**base, "number": "fax:1"},
        {**base, "text": ""},
        {**base, "audience": {"topic": "Offers!"}},
        {**base, "audience": {"conversations": []}},
        {**base, "audience": {"conversations": ["c_00"]}},
        {**base, "audience": {"profiles": ["fax:123"]}},
        {**base, "audience": {"filter": {"field": "city"}}},
        {**base, "audience": {"topic": "a", "filter": {"field": "x", "equals": 1}}},
        {**base, "at": "tomorrow"},
        {**base, "at": time.time(), "cron": "* * * * *"},
        {**base, "cron": "every monday"},
        {**base, "template": {"name": "x", "category": "promo"}},
        {**base, "template": {"name": "x", "category": "utility"}, "category": "marketing"},
        {**base, "category": "spam"},
        {**base, "respect_quiet_hours": "yes"},
    ]
    for body in bad:
        answer = await shared.call("support", "POST", "/v1/notifications", body)
        assert answer.status in (400, 404), (body, answer.raw)
        assert answer.error
    web = {
        **base,
        "number": "web:site",
        "text": "",
        "template": {"name": "x", "category": "utility"},
    }
    assert (await shared.call("support", "POST", "/v1/notifications", web)).status == 400
    admin = await shared.call("support", "GET", "/v1/notifications/ntf_nope")
    assert admin.status == 404


def test_the_config_file_sets_notifications_workflows_and_the_rate_card(tmp_path: Any) -> None:
    from bot.config.base import ConfigError
    from bot.config.notifications import notification_settings, quiet_hours
    from bot.config.settings import load_settings

    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "notifications: {timezone: Europe/London, quiet_hours: '22:30-07:00', batch: 200}\n"
        "workflows:\n"
        "  - {on: ticket.created, send: {text: 'Ticket {ticket.id} opened'}}\n"
        "rate_card: {currency: GBP, '44': {marketing: 0.0529}}\n"
    )
    settings = load_settings({"SWITCHBOARD_CONFIG": str(path)})
    assert settings.notifications == NotificationSettings(
        "Europe/London", QuietHours(22 * 60 + 30, 7 * 60), 200
    )
    assert [rule.on for rule in settings.workflows] == ["ticket.created"]
    assert settings.rate_card.price("44", "marketing") == 52_900
    assert settings.rate_card.currency == "GBP"
    assert load_settings({"SWITCHBOARD_CONFIG": os.devnull}).notifications == NotificationSettings()
    assert quiet_hours("off") is None and str(quiet_hours("21:00-08:00")) == "21:00-08:00"
    for bad in ({"timezone": "Mars/Olympus"}, {"quiet_hours": "late"}, {"batch": 0}, []):
        with pytest.raises(ConfigError):
            notification_settings(bad)


def test_quiet_hours_span_midnight() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    quiet, zone = QuietHours(21 * 60, 8 * 60), ZoneInfo("Europe/London")
    evening = datetime(2026, 11, 20, 22, 15, tzinfo=zone)
    morning = datetime(2026, 11, 21, 7, 59, tzinfo=zone)
    assert quiet.contains(evening) and quiet.contains(morning)
    assert not quiet.contains(datetime(2026, 11, 21, 8, 0, tzinfo=zone))
    assert quiet.ends_after(evening) == datetime(2026, 11, 21, 8, 0, tzinfo=zone)
    assert quiet.ends_after(morning) == datetime(2026, 11, 21, 8, 0, tzinfo=zone)
    lunch = QuietHours(12 * 60, 13 * 60)
    assert lunch.contains(datetime(2026, 11, 21, 12, 30, tzinfo=zone))
    assert not lunch.contains(datetime(2026, 11, 21, 13, 0, tzinfo=zone))
