"""Store contracts, part six: notifications, their runs and recipients, the cost ledger,
and the reads behind an audience.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike (see ``test_stores.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from redis.asyncio import Redis

from bot.model import Identity
from stores.audience import AudienceReader
from stores.campaigns import CampaignStore
from stores.conversations import ConversationStore
from stores.costs import CostLedger
from stores.notifications import RETENTION, NotificationStore
from stores.profiles import ProfileStore
from stores.redis import Keys

NUMBER = "wa:106540352242922"
NID = "ntf_0001"
RUN = 1_700_000_000
T0 = 1_700_000_000.0


def _record(**fields: str) -> dict[str, str]:
    return {"id": NID, "number": NUMBER, "service": "crm", "status": "scheduled"} | {
        "created_at": repr(T0),
        **fields,
    }


async def _claim(
    notifications: NotificationStore, key: str, state: str, kind: str, **options: Any
) -> Any:
    async with notifications.redis.pipeline(transaction=False) as pipe:
        fence = options.pop("fence", 1)
        notifications.queue_claim(pipe, NID, RUN, key, state, kind, fence=fence, **options)
        (answer,) = await pipe.execute()
    return answer


async def _status(notifications: NotificationStore, send_id: str, status: str) -> None:
    async with notifications.redis.pipeline(transaction=False) as pipe:
        notifications.queue_status(pipe, NID, RUN, send_id, status)
        await pipe.execute()


# --- NotificationStore: records and the schedule ----------------------------------------


async def test_a_notification_is_created_once(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    assert await notifications.record(NID) == {} and await notifications.status(NID) == ""
    entries = ["c:c_1", "p:phone:+441"]
    assert await notifications.create(NID, _record(), entries, due_at=T0 + 60, run=RUN)
    assert not await notifications.create(NID, _record(status="other"), [], due_at=None, run=RUN)
    assert await notifications.record(NID) == _record()
    assert await notifications.listed_total(NID) == 2
    assert await notifications.entries(NID, RUN, True, 1, 10) == ["p:phone:+441"]
    assert await notifications.scheduled(NID) == [(RUN, T0 + 60)]
    assert await notifications.of_number(NUMBER) == [NID]


async def test_a_large_audience_is_kept_whole(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    entries = [f"c:c_{n}" for n in range(2500)]
    await notifications.create(NID, _record(), entries, due_at=None, run=RUN)
    assert await notifications.listed_total(NID) == 2500
    assert await notifications.entries(NID, RUN, True, 2498, 10) == ["c:c_2498", "c:c_2499"]
    assert await notifications.scheduled(NID) == []


async def test_update_and_status(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    await notifications.create(NID, _record(), [], due_at=None, run=RUN)
    await notifications.update(NID, status="cancelled", next_at="12.5")
    assert await notifications.status(NID) == "cancelled"
    assert (await notifications.record(NID))["next_at"] == "12.5"


async def test_due_lists_the_runs_whose_time_has_come(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    await notifications.schedule("ntf_a", 1, T0 + 10)
    await notifications.schedule("ntf_b", 2, T0 + 5)
    await notifications.schedule("ntf_c", 3, T0 + 100)
    assert await notifications.due(T0 + 20) == [("ntf_b", 2, T0 + 5), ("ntf_a", 1, T0 + 10)]
    assert await notifications.due(T0 + 20, limit=1) == [("ntf_b", 2, T0 + 5)]
    await notifications.schedule("ntf_a", 1, T0 + 200)  # moved, not doubled
    await notifications.unschedule("ntf_b", 2)
    assert await notifications.due(T0 + 150) == [("ntf_c", 3, T0 + 100)]
    assert await notifications.scheduled("ntf_a") == [(1, T0 + 200)]


async def test_a_run_put_on_the_schedule_is_announced(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    assert await notifications.next_due() is None
    heard, ready = asyncio.Event(), asyncio.Event()
    listening = asyncio.create_task(notifications.listen(heard.set, ready))
    try:
        await ready.wait()
        await notifications.schedule("ntf_a", 1, T0 + 10)
        await asyncio.wait_for(heard.wait(), 5)
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
    await notifications.schedule("ntf_b", 2, T0 + 5)
    assert await notifications.next_due() == T0 + 5


async def test_a_numbers_notifications_are_listed_newest_first(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    for n in range(3):
        nid = f"ntf_{n}"
        record = _record(id=nid, created_at=repr(T0 + n))
        await notifications.create(nid, record, [], due_at=None, run=RUN)
    assert await notifications.of_number(NUMBER) == ["ntf_2", "ntf_1", "ntf_0"]
    assert await notifications.of_number(NUMBER, limit=1) == ["ntf_2"]
    assert await notifications.of_number("wa:other") == []


# --- NotificationStore: runs ------------------------------------------------------------


async def test_a_run_starts_once(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    new, meta = await notifications.start_run(NID, RUN, T0)
    assert new and meta["status"] == "sending" and float(meta["started_at"]) == T0
    again, same = await notifications.start_run(NID, RUN, T0 + 5)
    assert not again and same == meta
    await notifications.start_run(NID, RUN + 60, T0 + 60)
    assert await notifications.runs(NID) == [RUN, RUN + 60]
    assert await notifications.runs_of([NID, "ntf_none"]) == [[RUN, RUN + 60], []]
    await notifications.set_run(NID, RUN, total=3, cursor=1)
    assert (await notifications.run_meta(NID, RUN))["total"] == "3"
    metas = await notifications.runs_meta([(NID, RUN), ("ntf_none", 1)])
    assert metas[0]["cursor"] == "1" and metas[1] == {}


async def test_a_failing_run_is_postponed_then_set_aside_and_revived(
    store: Redis, prefix: str
) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    await notifications.create(NID, _record(), [], due_at=T0, run=RUN)
    await notifications.start_run(NID, RUN, T0)
    assert await notifications.fail_run(NID, RUN, "CronError: 6 fields", T0 + 1) == 1
    await notifications.postpone(NID, RUN, T0 + 2)
    await notifications.postpone("ntf_gone", 1, T0 + 2)  # not on the schedule: stays off
    assert await notifications.due(T0 + 10) == [(NID, RUN, T0 + 2)]
    assert await notifications.fail_run(NID, RUN, "CronError: still", T0 + 3) == 2

    await notifications.set_aside(NID, RUN, T0 + 4)

    assert await notifications.due(T0 + 10) == []
    assert await notifications.set_aside_runs() == [(NID, RUN, T0 + 4)]
    assert await notifications.set_aside_count() == 1
    meta = await notifications.run_meta(NID, RUN)
    assert (meta["status"], meta["failures"], meta["error"]) == ("failed", "2", "CronError: still")

    await notifications.revive(NID, RUN, T0 + 5)

    assert await notifications.due(T0 + 10) == [(NID, RUN, T0 + 5)]
    assert await notifications.set_aside_runs() == []
    meta = await notifications.run_meta(NID, RUN)
    assert meta["status"] == "sending" and "failures" not in meta and "error" not in meta


async def test_a_run_set_aside_before_it_started_is_revived_unstarted(
    store: Redis, prefix: str
) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    await notifications.fail_run(NID, RUN, "boom", T0)
    await notifications.set_aside(NID, RUN, T0)
    await notifications.revive(NID, RUN, T0 + 1)
    assert await notifications.run_meta(NID, RUN) == {}
    new, _ = await notifications.start_run(NID, RUN, T0 + 2)
    assert new


async def test_snapshot_copies_a_numbers_conversations(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    notifications, conversations = NotificationStore(store, keys), ConversationStore(store, keys)
    async with store.pipeline(transaction=False) as pipe:
        for n in range(1500):
            conversations.touch(pipe, NUMBER, f"c_{n:04d}", T0 + n)
        await pipe.execute()
    assert await notifications.snapshot(NID, RUN, keys.conversations(NUMBER)) == 1500
    # Redone after a crash, it starts from scratch rather than doubling.
    assert await notifications.snapshot(NID, RUN, keys.conversations(NUMBER)) == 1500
    copied = await notifications.entries(NID, RUN, False, 0, 2000)
    assert sorted(copied) == [f"c:c_{n:04d}" for n in range(1500)]
    meta = await notifications.run_meta(NID, RUN)
    assert (meta["snap"], meta["total"]) == ("1", "1500")


async def test_a_drafts_audience_is_staged_then_frozen_while_a_draft(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    notifications, conversations = NotificationStore(store, keys), ConversationStore(store, keys)
    campaigns = CampaignStore(store, keys)
    async with store.pipeline(transaction=False) as pipe:
        for n in range(1200):
            conversations.touch(pipe, NUMBER, f"c_{n:04d}", T0 + n)
        await pipe.execute()
    assert await notifications.create(NID, _record(status="draft"), [], due_at=None, run=RUN)
    assert await notifications.scheduled(NID) == []
    staged = campaigns.stage_key(NID)
    assert staged != campaigns.stage_key(NID)  # each review its own
    assert await campaigns.stage_from(staged, keys.conversations(NUMBER)) == 1200
    assert len(await campaigns.staged(staged, 0, 2000)) == 1200
    assert await notifications.frozen_total(NID) == 0
    eligible = [f"c:c_{n:04d}" for n in range(0, 1200, 2)]
    for _ in range(2):  # reviewed again: replaced, not doubled
        frozen = campaigns.stage_key(NID)
        await campaigns.stage(frozen, eligible)
        assert await campaigns.commit_review(NID, frozen, "{}", T0) == ""
        assert await store.exists(frozen) == 0
    assert await notifications.frozen_total(NID) == 600
    assert await notifications.entries(NID, RUN, True, 0, 2, frozen=True) == eligible[:2]
    assert await notifications.status(NID) == "reviewed"
    empty = campaigns.stage_key(NID)
    await campaigns.stage(empty, [])
    assert await campaigns.commit_review(NID, empty, "{}", T0) == ""
    assert await notifications.frozen_total(NID) == 0
    await campaigns.stage(frozen, eligible)
    assert await campaigns.commit_review(NID, frozen, "{}", T0) == ""
    # Once the send began, a review changes nothing.
    assert await campaigns.transition(NID, ["reviewed"], "sending") == (True, "reviewed")
    assert await campaigns.transition(NID, ["reviewed"], "sending") == (False, "sending")
    late = campaigns.stage_key(NID)
    await campaigns.stage(late, eligible[:1])
    assert await campaigns.commit_review(NID, late, "{}", T0) == "sending"
    assert await notifications.frozen_total(NID) == 600 and await store.exists(late) == 0
    await campaigns.drop(staged)
    await notifications.update(NID, status="done")  # written before 'sent'
    moved = await campaigns.transition(NID, ["sent"], "stopped", stop_reason="x")
    assert moved == (True, "sent") and (await notifications.record(NID))["stop_reason"] == "x"


async def test_each_recipients_outcome_is_kept_by_the_claim_and_status_scripts(
    store: Redis, prefix: str
) -> None:
    notifications, campaigns = (
        NotificationStore(store, Keys(prefix)),
        CampaignStore(store, Keys(prefix)),
    )
    async with store.pipeline(transaction=False) as pipe:
        for n, kind in enumerate(("q", "q", "q", "no_consent")):
            state = f"q|c_{n}|wa:44{n}|p_{n}" if kind == "q" else f"s|{kind}"
            notifications.queue_claim(
                pipe, NID, RUN, f"c_{n}", state, kind, fence=1, send_id=f"s{n}", at=T0 + n
            )
        for send, status, code in (
            ("s0", "sent", ""), ("s0", "read", ""), ("s1", "sent", ""), ("s1", "delivered", ""),
            ("s2", "sent", ""), ("s2", "failed", "131047"), ("s9", "read", ""),
        ):  # fmt: skip
            notifications.queue_status(pipe, NID, RUN, send, status, at=T0 + 10, code=code)
        await pipe.execute()
    await campaigns.click(NID, RUN, "s1", T0 + 20)
    await campaigns.click(NID, RUN, "s1", T0 + 30)  # counted once, at the first
    await campaigns.click(NID, RUN, "tst_1", T0 + 30)  # nobody's
    members = {
        o: await campaigns.members(NID, o)
        for o in ("sent", "delivered", "read", "failed", "clicked", "skipped")
    }
    assert members == {
        "sent": {f"{RUN}|c_0", f"{RUN}|c_1", f"{RUN}|c_2"},  # kept once failed: one write
        "delivered": {f"{RUN}|c_0", f"{RUN}|c_1"},
        "read": {f"{RUN}|c_0"},
        "failed": {f"{RUN}|c_2"},
        "clicked": {f"{RUN}|c_1"},
        "skipped": {f"{RUN}|c_3"},
    }
    assert await campaigns.failure_codes(NID, [(RUN, "s2"), (RUN, "s0"), (RUN, "s9")]) == [
        "131047",
        "",
        "",
    ]
    assert await campaigns.failed_among(NID, [f"{RUN}|c_2", f"{RUN}|c_0"]) == [True, False]
    assert (await notifications.statuses(NID, RUN))["s2"] == "failed|131047"
    assert await campaigns.page(NID, "clicked", 0, 10) == [(f"{RUN}|c_1", T0 + 20)]
    (reached,) = await campaigns.outcomes_of([(NID, f"{RUN}|c_1")])
    assert reached == {"sent": T0 + 10, "delivered": T0 + 10, "clicked": T0 + 20}
    states = await campaigns.states([(NID, f"{RUN}|c_3"), (NID, f"{RUN}|c_0"), (NID, "x|y")])
    assert states == ["s|no_consent", "q|c_0|wa:440|p_0", ""]
    queued = await campaigns.queued(NID, [RUN])
    assert sorted(queued) == [f"{RUN}|c_{n}" for n in range(3)]
    async with store.pipeline(transaction=False) as pipe:
        campaigns.queue_received(pipe, "p_0", NID, RUN, "c_0", T0)
        campaigns.queue_received(pipe, "p_9", "ntf_other", RUN, "c_9", T0 + 5)
        await pipe.execute()
    assert await campaigns.received(["p_0", "p_9"], 10) == [
        (f"ntf_other|{RUN}|c_9", T0 + 5),
        (f"{NID}|{RUN}|c_0", T0),
    ]


async def test_a_recipient_is_claimed_once_and_counted_once(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    queued = "q|c_1|wa:441|p_1"
    assert await _claim(notifications, "c:c_1", queued, "q") == "+" + queued
    assert await _claim(notifications, "c:c_1", "s|opted_out", "opted_out") == queued
    assert await _claim(notifications, "c:c_2", "s|opted_out", "opted_out") == "+s|opted_out"
    meta = await notifications.run_meta(NID, RUN)
    assert (meta["recipients"], meta["queued"], meta["skipped:opted_out"]) == ("2", "1", "1")
    assert sorted(await notifications.recipients(NID, RUN)) == [
        ("c:c_1", queued),
        ("c:c_2", "s|opted_out"),
    ]


async def test_a_stale_fencing_token_claims_nobody(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    assert await _claim(notifications, "c:c_1", "q|c_1||", "q", fence=5) == "+q|c_1||"
    assert await _claim(notifications, "c:c_2", "q|c_2||", "q", fence=4) is None
    assert await _claim(notifications, "c:c_2", "q|c_2||", "q", fence=6) == "+q|c_2||"
    assert sorted(k for k, _ in await notifications.recipients(NID, RUN)) == ["c:c_1", "c:c_2"]


async def test_deferred_recipients_wait_until_resumed(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    await _claim(notifications, "c:c_1", f"d|{T0 + 50}|c:c_1", "d", until=T0 + 50)
    await _claim(notifications, "c:c_2", f"d|{T0 + 90}|c:c_2", "d", until=T0 + 90)
    assert await notifications.next_deferred(NID, RUN) == T0 + 50
    assert await notifications.deferred_due(NID, RUN, T0 + 60, 10) == [
        ("c:c_1", f"d|{T0 + 50}|c:c_1")
    ]
    # Only a resume moves a deferred recipient on.
    assert await _claim(notifications, "c:c_1", "q|c_1||", "q") == f"d|{T0 + 50}|c:c_1"
    assert await _claim(notifications, "c:c_1", "q|c_1||", "q", resume=True) == "+q|c_1||"
    async with store.pipeline(transaction=False) as pipe:
        notifications.queue_undefer(pipe, NID, RUN, ["c:c_1"])
        notifications.queue_undefer(pipe, NID, RUN, [])
        notifications.queue_progress(pipe, NID, RUN, 2)
        await pipe.execute()
    assert await notifications.next_deferred(NID, RUN) == T0 + 90
    meta = await notifications.run_meta(NID, RUN)
    assert (meta["deferred"], meta["queued"], meta["recipients"]) == ("1", "1", "2")
    assert meta["cursor"] == "2"


async def test_send_statuses_move_the_counters_once_per_level(store: Redis, prefix: str) -> None:
    notifications = NotificationStore(store, Keys(prefix))
    await _status(notifications, "snd_0", "sent")  # no recipients yet: a stray receipt
    assert await notifications.statuses(NID, RUN) == {}
    await _claim(notifications, "c:c_1", "q|c_1||", "q")
    for send_id, steps in {
        "snd_1": ["sent", "delivered", "read", "delivered", "failed"],
        "snd_2": ["sent", "failed", "delivered"],
        "snd_3": ["delivered"],
    }.items():
        for status in steps:
            await _status(notifications, send_id, status)
    assert await notifications.statuses(NID, RUN) == {
        "snd_1": "read",
        "snd_2": "failed",
        "snd_3": "delivered",
    }
    meta = await notifications.run_meta(NID, RUN)
    assert (meta["sent"], meta["delivered"], meta["read"], meta["failed"]) == ("2", "2", "1", "1")


async def test_a_finished_run_keeps_its_recipients_for_a_while(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    notifications = NotificationStore(store, keys)
    await store.rpush(keys.notification_run(NID, RUN, "a"), "c:c_1")
    await _claim(notifications, "c:c_1", "q|c_1||", "q")
    await _status(notifications, "snd_1", "sent")
    await notifications.finish_run(NID, RUN, T0 + 9)
    meta = await notifications.run_meta(NID, RUN)
    assert meta["status"] == "done" and float(meta["finished_at"]) == T0 + 9
    assert await notifications.entries(NID, RUN, False, 0, 10) == []
    for part in ("rc", "st"):
        ttl = await store.ttl(keys.notification_run(NID, RUN, part))
        assert RETENTION - 60 < ttl <= RETENTION
    assert await notifications.statuses(NID, RUN) == {"snd_1": "sent"}


# --- CostLedger -------------------------------------------------------------------------


async def _price(ledger: CostLedger, send_id: str, price: int, **options: str) -> None:
    async with ledger.redis.pipeline(transaction=False) as pipe:
        ledger.queue_price(
            pipe,
            NUMBER,
            send_id,
            category=options.get("category", "marketing"),
            country=options.get("country", "GB"),
            price=price,
            notification=options.get("notification", NID),
        )
        await pipe.execute()


async def _outcome(ledger: CostLedger, send_id: str, status: str) -> None:
    async with ledger.redis.pipeline(transaction=False) as pipe:
        ledger.queue_outcome(pipe, NUMBER, send_id, status)
        await pipe.execute()


async def test_a_delivered_send_is_billed_once(store: Redis, prefix: str) -> None:
    ledger = CostLedger(store, Keys(prefix))
    await _price(ledger, "snd_1", 52_900)
    assert await ledger.pending(NUMBER) == 1 and await ledger.totals(NUMBER) == {}
    for status in ("sent", "delivered", "read", "delivered"):
        await _outcome(ledger, "snd_1", status)
    assert await ledger.pending(NUMBER) == 0
    assert await ledger.totals(NUMBER) == {
        "total": 52_900,
        "cat:marketing": 52_900,
        "count:marketing": 1,
        "cc:GB": 52_900,
        f"ntf:{NID}": 52_900,
    }
    assert await ledger.notification_cost(NUMBER, NID) == 52_900
    assert await ledger.notification_cost(NUMBER, "ntf_other") == 0


async def test_a_failed_send_costs_nothing_and_a_free_one_is_counted(
    store: Redis, prefix: str
) -> None:
    ledger = CostLedger(store, Keys(prefix))
    await _price(ledger, "snd_1", 52_900)
    await _outcome(ledger, "snd_1", "failed")
    await _outcome(ledger, "snd_1", "delivered")  # too late: forgotten already
    await _price(ledger, "snd_2", 0, category="service", country="", notification="")
    await _outcome(ledger, "snd_2", "read")
    assert await ledger.pending(NUMBER) == 0
    assert await ledger.totals(NUMBER) == {
        "total": 0,
        "cat:service": 0,
        "count:service": 1,
        "free:service": 1,
    }


async def test_a_price_is_noted_once_and_totals_are_per_number(store: Redis, prefix: str) -> None:
    ledger = CostLedger(store, Keys(prefix))
    await _price(ledger, "snd_1", 100)
    await _price(ledger, "snd_1", 999)  # a redo of the queueing keeps the first price
    await _outcome(ledger, "snd_1", "delivered")
    assert await ledger.totals_of([NUMBER, "wa:other"]) == [
        {"total": 100, "cat:marketing": 100, "count:marketing": 1, "cc:GB": 100, f"ntf:{NID}": 100},
        {},
    ]


# --- AudienceReader ---------------------------------------------------------------------

WA = Identity("wa", "447700900123")
EMAIL = Identity("email", "ann@example.com")


async def test_the_audience_reads_conversations_profiles_and_owners(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    profiles, conversations = ProfileStore(store, keys), ConversationStore(store, keys)
    reader = AudienceReader(profiles)
    ann = await profiles.resolve([WA], channel="whatsapp", name="Ann", at=1000)
    message = {"id": "in-1", "timestamp": T0, "text": "hi"}
    await conversations.record(
        "c_1", message, direction="inbound", number=NUMBER, customer=WA.key, channel="whatsapp"
    )
    (meta, unknown) = await reader.conversations(["c_1", "c_none"])
    assert meta["customer"] == WA.key and unknown == {}
    assert await reader.conversations([]) == []
    assert await reader.owners([WA, EMAIL]) == [ann, None]
    roots, erased = await reader.roots({ann, "p_none"}, [EMAIL])
    assert roots == {ann: ann, "p_none": ""} and erased == {}
    (found, missing) = await reader.profiles_of([ann, "p_none"])
    assert found["name"] == "Ann" and missing == {}
    assert await reader.profiles_of([]) == []
    async with store.pipeline(transaction=False) as pipe:
        conversations.touch(pipe, NUMBER, "c_1", T0)
        conversations.touch(pipe, NUMBER, "c_2", T0)
        await pipe.execute()
    assert await reader.count_conversations([NUMBER, "wa:other"]) == [2, 0]


async def test_the_audience_reads_opt_outs_and_topics(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    profiles, conversations = ProfileStore(store, keys), ConversationStore(store, keys)
    reader = AudienceReader(profiles)
    ann = await profiles.resolve([WA], channel="whatsapp", at=1000)
    await conversations.set_opt_out("c_1", True)
    assert await reader.update_topics(ann, ["promo", "news"], []) == ["news", "promo"]
    assert await reader.opt_outs([("c_1", ann), ("c_2", "")]) == [
        ({"opted_out": "1"}, "news,promo"),
        ({"opted_out": ""}, ""),
    ]
    assert await reader.opt_outs([]) == []


async def test_topics_change_only_on_a_live_profile(store: Redis, prefix: str) -> None:
    profiles = ProfileStore(store, Keys(prefix))
    reader = AudienceReader(profiles)
    older = await profiles.resolve([WA], channel="whatsapp", at=1000)
    newer = await profiles.resolve([EMAIL], channel="web", at=2000)
    assert await reader.update_topics(older, ["promo"], []) == ["promo"]
    assert await reader.update_topics(older, ["news"], ["promo"]) == ["news"]
    assert await reader.update_topics(older, [], ["news"]) == []
    assert (await profiles.get(older))["fields"] == {}
    await profiles.merge(older, newer)
    assert await reader.update_topics(newer, ["promo"], []) is None
    assert await reader.update_topics("p_none", ["promo"], []) is None
