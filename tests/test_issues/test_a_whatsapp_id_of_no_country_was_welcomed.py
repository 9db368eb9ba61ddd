"""A WhatsApp message ``from`` an id no phone has (``00000000000``, a national number's 0
first; ``999999999999``, a country code nobody has) was taken: a conversation, a profile,
and a welcome sent to it, though the API refuses the same values as identities (PS-1,
REL-4). Such a message is left unread, and the API refuses a ``wa:`` id of no country."""

from __future__ import annotations

import time

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, call, shared_number


@pytest.mark.parametrize("sender", ["00000000000", "999999999999", "0447911123456"])
async def test_a_message_from_no_phones_whatsapp_id_is_left_unread(
    make_bot: BotFactory, sender: str
) -> None:
    bot = await make_bot()
    message = {
        "from": sender,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "hi"},
    }
    alone = await bot.post_whatsapp(meta.raw_message(bot.phone_number_id, sender, message))
    assert alone.status == 400, await alone.text()
    both = meta.batch(
        meta.raw_message(bot.phone_number_id, sender, message),
        meta.text_message(bot.phone_number_id, WA_ID, "hello"),
    )
    answer = await bot.post_whatsapp(both)
    assert answer.status == 200
    found = await answer.json()
    assert (found["received"], len(found["unread"])) == (1, 1), found
    await bot.settle()
    assert bot.graph is not None
    assert {m.to for m in bot.graph.sent} == {WA_ID}  # the readable one's welcome alone


async def test_the_api_refuses_a_whatsapp_id_of_no_country(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["support"]
    for value in ("999999999999", "00000000000"):
        answer = await call(shared.bot, token, "GET", f"/v1/profiles?identity=wa:{value}")
        assert answer.status == 400, answer.raw
