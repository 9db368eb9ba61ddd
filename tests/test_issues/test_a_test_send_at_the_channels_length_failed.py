"""A test send of a campaign whose text was at its channel's length (4,096 characters on
WhatsApp, 1,600 on SMS) was marked "[test] " and so went past it: the API answered with
its ``tst_`` id, and the channel refused the send, where the campaign itself would have
gone. Such a test goes unmarked, as the customers would get it."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_notifications import Person, seed, setup, until
from tests.test_notifications_drafts import draft


async def test_a_test_of_a_text_at_the_limit_goes_unmarked(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person("447911123456", wrote_at=time.time())])
    long, short = "L" * 4096, "Hi there"
    for text in (long, short):
        body = {"number": shared.number, "text": text, "topic": "offers"}
        nid = await draft(shared, body | {"audience": {"topic": "offers"}})
        path = f"/v1/notifications/{nid}/test"
        answer = await shared.call("support", "POST", path, {"to": ["+447911123456"]})
        assert answer.status == 202, answer.raw

    def tests_sent() -> list[str]:
        return [m.text for m in shared.graph.sent if m.text.endswith((long, short))]

    await until(lambda: len(tests_sent()) == 2)
    assert sorted(tests_sent()) == [long, f"[test] {short}"]
