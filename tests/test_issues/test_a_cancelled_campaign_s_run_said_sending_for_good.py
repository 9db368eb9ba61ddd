"""A campaign cancelled while a run waited for its deferred recipients (quiet hours) was
reported ``cancelled``, but its run kept saying ``sending``, with ``deferred_until`` still
set and no ``finished_at``, for good: the cancel unscheduled the run, which was then
never worked again to find out. The run says ``cancelled`` now, with when it ended, as a
stopped one says ``stopped``; its deferred recipient stays counted ``deferred`` (never
sent), no longer said to be due, and the counts still add up."""

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


async def test_a_run_waiting_for_deferred_recipients_is_cancelled(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(quiet_hours=quiet_now(6)))
    people = [
        Person("447911300201", {"timezone": "Etc/GMT-6"}, time.time() - 60),  # quiet there
        Person("447911300202", {}, time.time() - 60),
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
    before = time.time()
    answer = await shared.call("support", "DELETE", f"/v1/notifications/{nid}")
    assert answer.status == 200
    found = await report(shared, nid)
    (run,) = found["runs"]
    assert (run["status"], run["deferred_until"]) == ("cancelled", None)
    assert run["finished_at"] is not None and run["finished_at"] >= before
    assert found["status"] == "cancelled" and found["counts"]["deferred"] == 1
    adds_up(found)
