"""A notification's text was checked against the channel's 4,096 characters before its
placeholders were filled, never after: "Hi {profile.name}, …" for a long name went to
Telegram at 4,110 characters, which refused it (400 "message is too long"), and the
recipient was counted failed. Such a recipient is skipped before any call, as
``too_long``; the others get theirs."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_notifications import Person, adds_up, campaign, finished, seed, setup


async def test_a_text_too_long_once_filled_is_skipped(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    now = time.time()
    people = [
        Person("447911900201", fields={"nickname": "Al"}, wrote_at=now - 60),
        Person("447911900202", fields={"nickname": "Alexandra " * 12}, wrote_at=now - 60),
    ]
    ids = await seed(shared.bot.runtime, shared.number, people)
    text = "Hi {profile.nickname}, " + "x" * 4000
    nid = await campaign(
        shared, {"number": shared.number, "text": text, "audience": {"profiles": ids}}
    )
    found = await finished(shared, nid)
    assert found["counts"]["sent"] == 1 and found["counts"]["failed"] == 0
    assert found["skipped"]["too_long"] == 1
    adds_up(found)
    (sent,) = [m for m in shared.graph.sent if (m.text or "").startswith("Hi Al,")]
    assert len(sent.text or "") <= 4096
