"""A bulk notification to 5,000 profiles with every skip reason present: its report adds
up exactly, before the sends (recipients = queued + deferred + skipped), after them
(queued = sent + failed) and after delivery receipts (delivered, read)."""

from __future__ import annotations

import time

from bot.config.notifications import NotificationSettings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_notifications import (
    Person,
    adds_up,
    campaign,
    finished,
    quiet_now,
    report,
    seed,
    setup,
    until,
)

PEOPLE = 5000
CLASSES = 20
EACH = PEOPLE // CLASSES
FAILED = 5
DELIVERED, READ = 1000, 200


def person(n: int, now: float) -> Person:
    """Person ``n``: its class (``n % 20``) says what becomes of them."""
    kind, wa = n % CLASSES, f"4479110{n:05d}"
    ok = {"consent": "consent", "city": "Leeds"}
    if kind == 10:
        return Person(wa, ok, now - 60, opted_out=True)
    if kind == 11:
        return Person(wa, ok | {"topics_off": "offers"}, now - 60)
    if kind == 12:
        return Person(wa, {"city": "Leeds"}, now - 60)
    if kind == 13:
        return Person(wa, ok, now - 25 * 3600)
    if kind == 14:  # a phone in Ofcom's drama range: possible, never valid
        return Person(fields=ok, identities=(meta_phone(f"+447700900{n // CLASSES:03d}"),))
    if kind == 15:
        return Person(fields=ok, identities=(meta_email(f"bulk{n}@example.com"),))
    if kind == 17:
        return Person(wa, {"consent": "legitimate_interest"}, now - 60)
    if kind == 18:
        return Person(wa, ok | {"timezone": "Etc/GMT-6"}, now - 60)
    return Person(wa, ok, now - 60)  # 0-9, 16 (erased below) and 19


def meta_phone(value: str) -> object:
    from bot.model import Identity

    return Identity("phone", value)


def meta_email(value: str) -> object:
    from bot.model import Identity

    return Identity("email", value)


async def test_a_bulk_send_to_5000_profiles_adds_up_exactly(
    make_bot: BotFactory,
) -> None:
    quiet = NotificationSettings(quiet_hours=quiet_now(6))
    shared = await setup(make_bot, notifications=quiet, whatsapp_rate=100_000.0)  # a lifted tier
    runtime, now = shared.bot.runtime, time.time()
    people = [person(n, now) for n in range(PEOPLE)]
    ids = await seed(runtime, shared.number, people)  # type: ignore[arg-type]
    for n in range(16, PEOPLE, CLASSES):
        await runtime.profile_book.erase(ids[n])
    shared.graph.fail_next(FAILED, status=400, code=131009)  # refused: not retried

    started = time.monotonic()
    body = {
        "number": shared.number,
        "text": "{profile.city} offers this week",
        "category": "marketing",
        "topic": "offers",
        "audience": {"profiles": ids},
    }
    nid = await campaign(shared, body)
    queued = 11 * EACH
    found = await finished(shared, nid, timeout=150, deferred=True)
    elapsed = time.monotonic() - started
    assert found["counts"]["recipients"] == PEOPLE
    assert found["skipped"] == {
        "suppressed": EACH,
        "invalid_number": EACH,
        "no_channel": EACH,
        "opted_out": EACH,
        "blocked": 0,
        "topic_conflict": EACH,
        "no_consent": EACH,
        "marketing_stopped": 0,
        "outside_window_no_template": EACH,
        "missing_variable": EACH,
        "too_long": 0,
        "superseded": 0,
        "ended": 0,
    }
    counts = found["counts"]
    assert (counts["queued"], counts["deferred"]) == (queued, EACH)
    assert (counts["sent"], counts["failed"], counts["in_flight"]) == (queued - FAILED, FAILED, 0)
    adds_up(found)
    answer = await shared.call(
        "support", "GET", f"/v1/notifications/{nid}/recipients?status=failed"
    )
    refused = answer.json["recipients"]
    assert len(refused) == FAILED and {item["error_code"] for item in refused} == {"131009"}
    accepted = [m for m in shared.graph.sent if m.text == "Leeds offers this week"]
    assert len(accepted) == queued - FAILED
    assert len({m.to for m in accepted}) == len(accepted)  # nobody twice

    # Receipts: some delivered, some of those read; a receipt posted twice counts once.
    receipts = [
        meta.status_update(shared.bot.phone_number_id, m.message_id, m.to, "delivered")
        for m in accepted[:DELIVERED]
    ] + [
        meta.status_update(shared.bot.phone_number_id, m.message_id, m.to, "read")
        for m in accepted[:READ]
    ]
    receipts += receipts[:50]
    for start in range(0, len(receipts), 100):
        answer = await shared.bot.post_whatsapp(meta.batch(*receipts[start : start + 100]))
        assert answer.status == 200

    async def delivered() -> dict[str, object] | None:
        found = await report(shared, nid)
        return found if found["counts"]["delivered"] == DELIVERED else None

    found = await until(delivered, 20, "the receipts to count")
    await shared.bot.settle()
    found = await report(shared, nid)
    assert (found["counts"]["delivered"], found["counts"]["read"]) == (DELIVERED, READ)
    assert found["counts"]["sent"] == queued - FAILED
    adds_up(found)
    stats = await runtime.outreach.notifications.stats([shared.number])
    assert stats[0]["counts"]["recipients"] == PEOPLE
    assert stats[0]["counts"]["skipped"] == 8 * EACH
    # A bound on gross slowness only (several times slower): with both cores of a 2-core
    # machine contested it took 40 to 45 s, where a bound of 30 s failed.
    assert elapsed < 120, f"the bulk send took {elapsed:.1f} s"
