"""After the parent detached, the service that took over read the old parent's draft
through its review (the words the report masks for it, SN-3), and its send answered 202
"sending" for a run that then failed, since the draft is still the old parent's: nothing
went. A draft is its author's to review, test and send: 403 for another service."""

from __future__ import annotations

import json

from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_notifications_drafts import draft

WORDS = "Support's own spring offer"


async def test_the_new_parent_cannot_review_test_or_send_the_old_parents_draft(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    body = {
        "number": shared.number,
        "text": WORDS,
        "audience": {"conversations": [shared.conversation]},
    }
    nid = await draft(shared, body)
    await shared.bot.runtime.actions.detach(shared.number, "support")  # sales is parent now
    for method, path, sent in (
        ("GET", "review", None),
        ("POST", "test", {}),
        ("POST", "send", {}),
    ):
        answer = await shared.call("sales", method, f"/v1/notifications/{nid}/{path}", sent)
        assert answer.status == 403, (path, answer.raw)
        assert WORDS not in json.dumps(answer.json)
        assert "'support'" in answer.error
    report = await shared.call("sales", "GET", f"/v1/notifications/{nid}")
    assert report.json["notification"]["status"] == "draft"
    assert WORDS not in json.dumps(report.json)
