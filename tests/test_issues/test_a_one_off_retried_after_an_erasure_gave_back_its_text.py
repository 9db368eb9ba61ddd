"""A one-off (``POST /v1/notifications`` with ``conversation_id`` and ``text``) sent with
an ``Idempotency-Key`` and retried after its customer was erased answered 202 again, with
the text the erasure had taken out of the timeline, where a retried reply answered 410:
the one-off names its conversation only in its body, and the answers kept were found by
the ids in the request's line and answer. So did an event naming the conversation. Both
answer 410 now, and nothing is sent again. A campaign's answer names no one, and the
campaign goes on without the person: its retry still gets its id."""

from __future__ import annotations

from typing import Any

from bot.config.notifications import workflow_rules
from tests.conftest import BotFactory
from tests.test_api import WA_ID, WELCOME, Answer, Shared, call
from tests.test_notifications import setup

SECRET = "IDEM-SECRET your parcel to 1 Secret Lane"
RULES = workflow_rules([{"on": "ticket.created", "send": {"text": "Ticket {ticket.id}"}}])


async def _post(shared: Shared, path: str, body: dict[str, Any], key: str) -> Answer:
    headers = {"Idempotency-Key": key}
    return await call(shared.bot, shared.tokens["support"], "POST", path, body, headers=headers)


async def test_a_keyed_one_off_retried_after_an_erasure_answers_410(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, workflows=RULES)
    one_off = {"conversation_id": shared.conversation, "text": SECRET}
    event = {
        "type": "ticket.created",
        "number": shared.number,
        "conversation": shared.conversation,
        "data": {"ticket": {"id": 7}},
    }
    campaign = {
        "number": shared.number,
        "text": "Our offers",
        "audience": {"conversations": [shared.conversation]},
    }
    requests = [
        ("/v1/notifications", one_off, "k-one-off"),
        ("/v1/events", event, "k-event"),
        ("/v1/notifications", campaign, "k-campaign"),
    ]
    first = [await _post(shared, path, body, key) for path, body, key in requests]
    assert [answer.status for answer in first] == [202, 202, 202], [a.raw for a in first]
    assert SECRET.encode() in first[0].raw
    await shared.graph.wait_for_sent(3)
    erased = await shared.call("support", "DELETE", f"/v1/profiles/wa:{WA_ID}")
    assert erased.status == 200, erased.raw
    await shared.bot.settle()

    again = [await _post(shared, path, body, key) for path, body, key in requests]
    for answer in again[:2]:
        assert answer.status == 410, answer.raw
        assert "erased" in answer.error
        assert SECRET.encode() not in answer.raw and WA_ID.encode() not in answer.raw
    assert again[2].status == 202, again[2].raw
    assert again[2].json == first[2].json  # the campaign's own answer, still its id
    await shared.bot.settle()
    sent = shared.texts_sent()
    assert sent[:2] == [WELCOME, SECRET] and sent.count(SECRET) == 1  # sent once
    assert sent.count("Ticket 7") == 1
