"""Drip sequences (AU-4) through the API, the emulators and the real Redis: a three-step
drip from a first contact, a workflow event and a topic joined, the stop rules (reply,
opt-out, conversion), quiet hours, reports per step and overall, and parent-only (SN-6).

Days pass on the scheduler's clock (``Scheduler.clock``), never by sleeping."""

from __future__ import annotations

import time
from typing import Any

from bot.config.sequences import Sequence, sequence_definitions
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.test_api import WA_ID, Shared, shared_number
from tests.test_notifications import NO_QUIET, until

NUMBER = f"wa:{PHONE_NUMBER_ID}"
DAY = 24 * 3600.0
FOLLOW_UP = {"name": "drip_follow_up", "language": "en", "category": "utility"}
OFFER = {"name": "drip_offer", "language": "en", "category": "marketing"}


def drip(trigger: dict[str, Any], **more: Any) -> tuple[Sequence, ...]:
    """The three-step drip of the README: day 0 a welcome, day 3 a follow-up, day 7 an
    offer (4 days after the follow-up)."""
    written = {
        "name": "welcome",
        "number": NUMBER,
        "trigger": trigger,
        "steps": [
            {"wait": "0d", "name": "welcome", "text": "Welcome aboard, {profile.name}!"},
            {"wait": "3d", "name": "follow-up", "template": FOLLOW_UP},
            {"wait": "4d", "name": "offer", "template": OFFER},
        ],
        "stop_on": ["reply", "opt_out", "workflow:order_placed"],
    }
    return sequence_definitions([written | more])


def later(shared: Shared, seconds: float) -> None:
    """The scheduler's clock moves ``seconds`` ahead of the wall's, and it looks now."""
    scheduler = shared.bot.runtime.outreach.scheduler
    scheduler.clock = lambda: time.time() + seconds
    scheduler.wake()


def templates(shared: Shared, name: str) -> list[Any]:
    return [
        m for m in shared.graph.sent if m.type == "template" and m.body["template"]["name"] == name
    ]


async def sequence_report(shared: Shared, caller: str = "support") -> dict[str, Any]:
    answer = await shared.call(caller, "GET", "/v1/sequences/welcome")
    assert answer.status == 200, answer.raw
    found: dict[str, Any] = answer.json["sequence"]
    return found


async def test_a_three_step_drip_from_a_first_contact(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    sent = await shared.graph.wait_for_sent(2)  # the parent's welcome, then day 0
    assert sent[-1].text == "Welcome aboard, Ann!" or "Welcome aboard" in str(sent[-1].text)
    answer = await shared.call(
        "support", "PUT", f"/v1/profiles/wa:{WA_ID}/consent", {"basis": "consent"}
    )
    assert answer.status == 200, answer.raw
    later(shared, 3 * DAY + 60)
    await until(lambda: templates(shared, "drip_follow_up"), what="the follow-up")
    assert not templates(shared, "drip_offer")
    later(shared, 7 * DAY + 120)
    await until(lambda: templates(shared, "drip_offer"), what="the offer")
    await shared.bot.settle()

    async def reported() -> dict[str, Any] | None:
        found = await sequence_report(shared)
        return found if found["counts"]["sent"] == 3 else None

    found = await until(reported, what="three sends counted")
    assert found["enrolments"] == {
        "enrolled": 1,
        "active": 0,
        "finished": 1,
        "stopped": {"reply": 0, "opt_out": 0, "converted": 0, "manual": 0},
    }
    assert [step["name"] for step in found["steps"]] == ["welcome", "follow-up", "offer"]
    for step in found["steps"]:
        assert step["counts"]["recipients"] == 1 and step["counts"]["sent"] == 1
        assert sum(step["skipped"].values()) == 0
    assert len(templates(shared, "drip_follow_up")) == len(templates(shared, "drip_offer")) == 1
    assert sum(1 for m in shared.graph.sent if "Welcome aboard" in str(m.text)) == 1
