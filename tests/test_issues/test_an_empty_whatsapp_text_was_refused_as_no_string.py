"""A WhatsApp text whose ``text.body`` was ``""`` was refused with "a text message needs a
'text.body' string", where ``""`` is one: the refusal says what is wrong with it."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447911555002"


async def test_an_empty_body_is_refused_for_being_empty(make_bot: BotFactory) -> None:
    bot = await make_bot()
    empty = {
        "from": WA_ID,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": ""},
    }
    answer = await bot.post_whatsapp(meta.raw_message(bot.phone_number_id, WA_ID, empty))
    assert answer.status == 400
    assert (await answer.json())["error"].endswith("a 'text.body' string that is not empty")
