"""The same workflow event (by its ``id``) posted several times at once was sent once, as
it should, but the posts that did not send it answered ``"sent": []`` and ``"skipped":
[]``, as if the customer had not been reached: a service retrying after a timeout would
think so. Each post now answers what was done, or, while another post is still doing
it, 409 saying to post it again."""

from __future__ import annotations

import asyncio

from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_workflows import RULES


async def test_posts_of_one_event_at_once_answer_what_was_done_or_409(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, workflows=RULES)
    event = {
        "number": shared.number,
        "type": "ticket.created",
        "id": "zendesk-9002",
        "conversation": shared.conversation,
        "data": {"id": 9002, "priority": "high"},
    }
    answers = await asyncio.gather(
        *(shared.call("support", "POST", "/v1/events", event) for _ in range(6))
    )
    assert {answer.status for answer in answers} <= {202, 409}
    done = [answer.json for answer in answers if answer.status == 202]
    assert done and [len(answer["sent"]) for answer in done] == [2] * len(done), done
    for answer in answers:
        if answer.status == 409:
            assert "post it again" in answer.error
    again = await shared.call("support", "POST", "/v1/events", event)
    assert again.status == 202 and sorted(again.json["sent"]) == sorted(done[0]["sent"])
