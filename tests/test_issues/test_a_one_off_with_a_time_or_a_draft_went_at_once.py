"""A one-off to a conversation (``conversation_id`` and ``text``) took ``at``, ``cron`` and
``draft`` without a word and sent the message at once: a draft, a message meant for
tomorrow and a weekly one each reached the customer there and then. A one-off goes now
and takes no other field; a scheduled message to a conversation is a campaign. A claim
and a release took unknown fields too, where every other call refuses them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number

SCHEDULED: list[dict[str, Any]] = [
    {"at": time.time() + 3600},
    {"cron": "0 9 * * MON"},
    {"draft": True},
]


@pytest.mark.parametrize("extra", SCHEDULED, ids=["at", "cron", "draft"])
async def test_a_one_off_with_a_schedule_is_refused_and_nothing_goes(
    make_bot: BotFactory, extra: dict[str, Any]
) -> None:
    shared = await shared_number(make_bot)
    await shared.bot.settle()
    before = shared.texts_sent()
    body = {"conversation_id": shared.conversation, "text": "later please", **extra}
    answer = await shared.call("support", "POST", "/v1/notifications", body)
    assert answer.status == 400, answer.raw
    assert f"unknown field(s) {next(iter(extra))}" in answer.error
    assert '"audience": {"conversations": [id]}' in answer.error
    # The same body as a campaign is taken, and kept for later.
    campaign = {
        "number": f"wa:{shared.bot.phone_number_id}",
        "text": "later please",
        "audience": {"conversations": [shared.conversation]},
        **extra,
    }
    scheduled = await shared.call("support", "POST", "/v1/notifications", campaign)
    assert scheduled.status == 202, scheduled.raw
    assert scheduled.json["notification"]["status"] in ("scheduled", "draft")
    await shared.bot.settle()
    assert shared.texts_sent() == before


@pytest.mark.parametrize("action", ["claim", "release"])
async def test_a_claim_with_an_unknown_field_is_refused(make_bot: BotFactory, action: str) -> None:
    shared = await shared_number(make_bot)
    body = {"agent": "ann", "until": "tomorrow"}
    answer = await shared.call("sales", "POST", shared.path(action), body)
    assert answer.status == 400 and "unknown field(s) until" in answer.error
    listed = await shared.call("sales", "GET", shared.path())
    assert listed.json["conversation"].get("claim") is None
