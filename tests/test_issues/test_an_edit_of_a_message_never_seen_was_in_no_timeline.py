"""An edit of a message the bot never saw (its original came before the bot was attached,
or was lost) reached every service as a ``message.inbound`` with the new text, and was
kept nowhere: the conversation's timeline, which README says shows the latest text of an
edited message, had no message of that id, and a conversation the edit was the first word
of could not be read at all. The edit is kept as the message it edits, once, and it gets
no automated answer, as any edit."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

CUSTOMER = "447700900417"


def _edit(phone_number_id: str, original: str, body: str) -> dict[str, Any]:
    edit = {
        "from": CUSTOMER,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "edit",
        "edit": {
            "original_message_id": original,
            "message": {"type": "text", "text": {"body": body}},
        },
    }
    return meta.raw_message(phone_number_id, CUSTOMER, edit)


async def test_an_edit_of_an_unseen_message_is_kept_as_that_message(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    sink = bot.sinks["support"]
    original = meta.new_message_id()
    edit = _edit(bot.phone_number_id, original, "the new words")
    assert (await bot.post_whatsapp(edit)).status == 200
    await sink.wait_for_count(1, type="message.inbound")
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(CUSTOMER))
    assert [(m["direction"], m["id"], m["text"]) for m in timeline] == [
        ("inbound", original, "the new words")
    ]
    # Written before the number was ours: its window is not the edit's to open.
    assert await bot.runtime.conversations.last_inbound_at(bot.conversation(CUSTOMER)) is None
    # Meta sends it again (no 200 came back, say), and a later edit of it: one message.
    assert (await bot.post_whatsapp(edit)).status == 200
    assert (await bot.post_whatsapp(_edit(bot.phone_number_id, original, "newer"))).status == 200
    await sink.wait_for_count(2, type="message.inbound")
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(CUSTOMER))
    assert [(m["id"], m["text"]) for m in timeline] == [(original, "newer")]
