"""A review that was still deciding when the campaign's send began froze its own list
over the one the send was given: someone who joined after the first review got the
campaign. The review now freezes its list in one step with the status, and only while
the campaign is a draft: the late review is refused (409), and the send goes to exactly
the list reviewed before it."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import BotFactory
from tests.test_notifications import Person, finished, seed, setup
from tests.test_notifications_drafts import draft, review


async def test_a_review_racing_a_send_changes_nothing(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    notifications = runtime.outreach.notifications
    await seed(runtime, shared.number, [Person("447911730001", wrote_at=time.time() - 60)])
    body = {"number": shared.number, "text": "Frozen", "audience": {"topic": "offers"}}
    nid = await draft(shared, body)
    first = await review(shared, nid)
    assert first["eligible"] == 2  # the seeded one and the customer who said hello
    await seed(runtime, shared.number, [Person("447911730002", wrote_at=time.time() - 60)])

    audience = notifications.runs.audience
    decide = audience.decide
    sent: list[Any] = []

    async def decide_then_send(*args: Any, **kwargs: Any) -> Any:
        verdicts = await decide(*args, **kwargs)
        if not sent:  # the send lands while the second review is deciding
            answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/send")
            sent.append(answer)
        return verdicts

    audience.decide = decide_then_send  # type: ignore[method-assign]
    try:
        late = await shared.call("support", "GET", f"/v1/notifications/{nid}/review")
    finally:
        audience.decide = decide  # type: ignore[method-assign]
    assert sent[0].status == 202, sent[0].raw
    done = await finished(shared, nid)
    got = sorted(m.to for m in shared.graph.sent if m.text == "Frozen")
    assert got == ["447911123456", "447911730001"]  # not the newcomer
    assert done["counts"]["recipients"] == 2 and done["status"] == "sent"
    assert late.status == 409 and "froze" in late.error, late.raw
    assert done["review"]["eligible"] == 2
