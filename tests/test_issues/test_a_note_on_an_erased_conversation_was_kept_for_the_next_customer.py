"""Once a customer was erased, a reply or a claim on their conversation was refused
(410), but a note was taken (201); and when the same phone wrote again, the note showed
in the new customer's conversation, whose id the number and the phone decide. A note on
an erased conversation is refused, through the API and the team chat alike."""

from __future__ import annotations

import pytest

from handlers.ports import RefusedError
from tests.conftest import BotFactory
from tests.test_api import WA_ID, say, shared_number


async def test_a_note_is_refused_once_its_customer_is_erased(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    runtime = shared.bot.runtime
    meta = await runtime.conversations.meta(shared.conversation)
    await runtime.profile_book.erase(meta["profile"])
    answer = await shared.call("sales", "POST", shared.path("notes"), {"text": "VIP: Vera"})
    assert answer.status == 410, answer.raw
    assert "erased" in answer.error
    with pytest.raises(RefusedError, match="erased"):
        await runtime.desk.note(shared.conversation, "VIP: Vera", "ann@example.com")

    await say(shared.bot, "hello again", WA_ID)  # the same phone: a new customer
    notes = await shared.call("sales", "GET", shared.path("notes"))
    assert notes.status == 200 and notes.json["notes"] == []
