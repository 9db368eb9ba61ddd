"""A campaign stopped while a run waited for its deferred recipients (quiet hours) kept
that run ``sending``, with ``deferred_until`` still set and no end: stopping unscheduled
the run, which was then never worked again to find out. The run says ``stopped`` now,
and no deferred recipient is said to be due; the counts still add up."""

from __future__ import annotations

import time

from bot.config.notifications import NotificationSettings
from tests.conftest import BotFactory
from tests.test_notifications import (
    Person,
    _with,
    adds_up,
    campaign,
    quiet_now,
    report,
    seed,
    setup,
    until,
)


async def test_a_run_waiting_for_deferred_recipients_is_stopped(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(quiet_hours=quiet_now(6)))
    people = [
        Person("447911300101", {"timezone": "Etc/GMT-6"}, time.time() - 60),  # quiet there
        Person("447911300102", {}, time.time() - 60),
    ]
    ids = await seed(shared.bot.runtime, shared.number, people)
    nid = await campaign(
        shared, {"number": shared.number, "text": "Hello", "audience": {"profiles": ids}}
    )
    await until(
        lambda: _with(report(shared, nid), lambda r: r["counts"]["sent"] == 1), what="a send"
    )
    (waiting,) = (await report(shared, nid))["runs"]
    assert waiting["status"] == "sending" and waiting["deferred_until"] is not None
    path = f"/v1/notifications/{nid}/stop"
    assert (await shared.call("support", "POST", path, {"reason": "price"})).status == 200
    found = await report(shared, nid)
    (run,) = found["runs"]
    assert (run["status"], run["deferred_until"]) == ("stopped", None)
    assert run["finished_at"] is not None
    assert found["status"] == "stopped" and found["counts"]["deferred"] == 1
    adds_up(found)
