"""Scheduling (AU-4): the cron parser, a due occurrence firing once with two schedulers in
two runtimes, one-offs at a time, cancelling, and a crash and a rerun that never send
twice (REL-3)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.model import Identity, conversation_id
from bot.outreach.cron import Cron, CronError
from bot.outreach.runs import Runs
from bot.outreach.spec import parse_notification
from tests.conftest import BotFactory
from tests.test_api import SUPPORT_AUTOMATION, THREE
from tests.test_notifications import NO_QUIET, Person, campaign, finished, report, seed, setup

LONDON = ZoneInfo("Europe/London")


def at(text: str, zone: ZoneInfo = LONDON) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def local(moment: float, zone: ZoneInfo = LONDON) -> str:
    return datetime.fromtimestamp(moment, zone).strftime("%Y-%m-%d %H:%M %a")


# --- The cron parser -------------------------------------------------------------------


def test_cron_fields_lists_ranges_steps_and_names() -> None:
    cron = Cron.parse("*/15 9-17/4 1,15 JAN-mar MON-FRI")
    assert cron.minutes == {0, 15, 30, 45}
    assert cron.hours == {9, 13, 17}
    assert cron.days == {1, 15} and cron.months == {1, 2, 3}
    assert cron.weekdays == {1, 2, 3, 4, 5}
    assert Cron.parse("0 0 * * 7").weekdays == {0}  # 7 is Sunday too
    assert Cron.parse("5/20 * * * *").minutes == {5, 25, 45}
    assert Cron.parse("0 9 * * SUN,sat").weekdays == {0, 6}


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 9 * * MON", "2026-11-18 10:00", "2026-11-23 09:00 Mon"),
        ("0 9 * * MON", "2026-11-23 08:59", "2026-11-23 09:00 Mon"),
        ("0 9 * * MON", "2026-11-23 09:00", "2026-11-30 09:00 Mon"),  # strictly after
        ("30 23 31 * *", "2026-11-01 00:00", "2026-12-31 23:30 Thu"),  # November has 30
        ("0 12 29 2 *", "2026-03-01 00:00", "2028-02-29 12:00 Tue"),
        ("0 0 13 * FRI", "2026-11-14 00:00", "2026-11-20 00:00 Fri"),  # day OR weekday
        ("0 0 13 * FRI", "2027-01-09 00:00", "2027-01-13 00:00 Wed"),
        ("*/10 * * * *", "2026-11-18 10:04", "2026-11-18 10:10 Wed"),
        # 01:30 does not happen in London on 29 March 2026: clocks go 01:00 -> 02:00, and
        # a job at a fixed time runs right after the change, as cron's does.
        ("30 1 29 3 *", "2026-03-28 00:00", "2026-03-29 02:00 Sun"),
    ],
)
def test_cron_next_occurrence(expression: str, after: str, expected: str) -> None:
    assert local(Cron.parse(expression).next_after(at(after), LONDON)) == expected


def test_the_repeated_hour_of_autumn_occurs_once() -> None:
    cron = Cron.parse("30 1 * * *")
    first = cron.next_after(at("2026-10-25 00:00"), LONDON)
    assert local(first) == "2026-10-25 01:30 Sun"
    assert local(cron.next_after(first, LONDON)) == "2026-10-26 01:30 Mon"


@pytest.mark.parametrize(
    "bad",
    [
        "* * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "* * * * 8",
        "*/0 * * * *",
        "5-1 * * * *",
        "x * * * *",
        "* * * FOO *",
        "0 0 31 2 *",
    ],
)
def test_bad_cron_schedules_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(CronError) as error:
        Cron.parse(bad).next_after(time.time(), LONDON)
    assert str(error.value)


# --- Running on the schedule -------------------------------------------------------------


async def test_a_due_cron_occurrence_fires_once_with_two_schedulers(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    other = await make_bot(
        services=THREE,
        automations={"support": SUPPORT_AUTOMATION},
        runtime_service=False,
        notifications=NO_QUIET,
    )
    body = {
        "number": shared.number,
        "text": "Weekly news",
        "cron": "* * * * *",
        "audience": {"conversations": [shared.conversation]},
    }
    # The test must run inside one minute: created in its last second the notification is
    # due at once ("sending"), and a minute that turns meanwhile adds an occurrence.
    if time.time() % 60 > 40:
        await asyncio.sleep(60.5 - time.time() % 60)
    answer = await shared.call("support", "POST", "/v1/notifications", body)
    assert answer.status == 202 and answer.json["notification"]["status"] == "scheduled"
    nid, first = answer.json["notification"]["id"], answer.json["notification"]["next_at"]
    assert first % 60 == 0 and 0 < first - time.time() <= 60
    store = shared.bot.runtime.outreach.notifications.store
    # The minute that just began is an occurrence too: make it the one that is due.
    due = int(first) - 60
    await store.unschedule(nid, int(first))
    await store.update(nid, next_at=repr(float(due)))
    await store.schedule(nid, due, due)

    bots = (shared.bot, other)
    found = await finished(shared, nid)
    await asyncio.sleep(2.5)  # two more ticks of each scheduler
    for bot in bots:
        await bot.settle()
    sent = [
        m for bot in bots for m in (bot.graph.sent if bot.graph else []) if m.text == "Weekly news"
    ]
    assert len(sent) == 1
    assert sum(bot.runtime.outreach.scheduler.started for bot in bots) == 1
    found = await report(shared, nid)
    assert [run["run"] for run in found["runs"]] == [due]
    assert found["status"] == "scheduled" and found["next_at"] == due + 60
    assert await store.scheduled(nid) == [(due + 60, float(due + 60))]
    leaders = [bot.runtime.outreach.scheduler.token is not None for bot in bots]
    assert leaders.count(True) == 1  # one process schedules, by its lease

    cancelled = await shared.call("support", "DELETE", f"/v1/notifications/{nid}")
    assert cancelled.status == 200
    assert await store.scheduled(nid) == []
    assert (await report(shared, nid))["status"] == "cancelled"


async def test_a_notification_at_a_time_waits_for_it(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    when = time.time() + 1.5
    body = {
        "number": shared.number,
        "text": "Later",
        "at": when,
        "audience": {"conversations": [shared.conversation]},
    }
    answer = await shared.call("support", "POST", "/v1/notifications", body)
    assert answer.json["notification"]["status"] == "scheduled"
    nid = answer.json["notification"]["id"]
    assert (await report(shared, nid))["runs"] == []
    found = await finished(shared, nid)
    assert found["counts"]["sent"] == 1
    sent = [m for m in shared.graph.sent if m.text == "Later"]
    assert len(sent) == 1 and sent[0].received_at >= when


# --- Crashes -----------------------------------------------------------------------------


class Crash(Exception):
    """The process dies here."""


async def test_a_crash_between_claiming_and_queueing_then_a_rerun_sends_each_once(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    people = [Person(f"44791140{n:04d}", wrote_at=time.time() - 60) for n in range(7)]
    ids = await seed(runtime, shared.number, people)
    notifications = runtime.outreach.notifications
    runs: Runs = notifications.runs
    runs.settings = type(runs.settings)(quiet_hours=None, batch=3)
    body = {"number": shared.number, "text": "Once only", "audience": {"profiles": ids}}
    spec, entries = parse_notification(body, service="support", region="GB", zone="UTC")
    created = await notifications.create(spec, entries, hold=3600)  # no scheduler
    run = int(created.first_run)

    calls = {"n": 0}
    queue = runs._queue_send

    def dying(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 5:  # the second batch: claimed, and its pipeline never runs
            raise Crash
        queue(*args, **kwargs)

    monkeypatch.setattr(runs, "_queue_send", dying)
    with pytest.raises(Crash):
        await runs.execute(created.id, run)
    monkeypatch.setattr(runs, "_queue_send", queue)
    meta = await notifications.store.run_meta(created.id, run)
    assert (meta["cursor"], meta["queued"]) == ("3", "6")  # batch 2 claimed, not queued
    result = await runs.execute(created.id, run)  # the rerun, from the cursor
    assert result.done and len(result.sent) == 1  # the rest were new claims before
    found = await finished(shared, created.id)
    assert found["counts"]["queued"] == 7 and found["counts"]["sent"] == 7

    # Progress lost as well: the whole run again sends nobody a second time.
    await notifications.store.set_run(created.id, run, cursor=0, status="sending")
    await runs.execute(created.id, run)
    await shared.bot.settle()
    found = await finished(shared, created.id)
    assert found["counts"]["recipients"] == 7 and found["counts"]["sent"] == 7
    to = [m.to for m in shared.graph.sent if m.text == "Once only"]
    assert sorted(to) == sorted(p.wa for p in people)


async def test_a_stale_holder_is_fenced_off(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    store = shared.bot.runtime.outreach.notifications.store
    async with store.redis.pipeline(transaction=False) as pipe:
        store.queue_claim(pipe, "ntf_x", 1, "c_a", "s|no_channel", "no_channel", fence=7)
        store.queue_claim(pipe, "ntf_x", 1, "c_b", "s|no_channel", "no_channel", fence=6)
        store.queue_claim(pipe, "ntf_x", 1, "c_a", "s|opted_out", "opted_out", fence=8)
        answers = await pipe.execute()
    assert answers == ["+s|no_channel", None, "s|no_channel"]
    meta = await store.run_meta("ntf_x", 1)
    assert (meta["recipients"], meta["skipped:no_channel"], meta["fence"]) == ("1", "1", "8")


async def test_sends_on_a_conversation_nobody_wrote_in_join_the_profile(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    (pid,) = await seed(
        runtime, shared.number, [Person(identities=(Identity("phone", "+447400555001"),))]
    )
    body = {
        "number": shared.number,
        "template": {"name": "welcome_offer", "language": "en_GB", "category": "utility"},
        "audience": {"profiles": [pid]},
    }
    nid = await campaign(shared, body)
    found = await finished(shared, nid)
    assert found["counts"]["sent"] == 1
    (sent,) = [m for m in shared.graph.sent if m.type == "template"]
    assert sent.to == "447400555001"
    assert sent.body["template"] == {"name": "welcome_offer", "language": {"code": "en_GB"}}
    cid = conversation_id(shared.number, Identity("wa", "447400555001"))
    assert cid in (await runtime.profiles.get(pid))["conversations"]
