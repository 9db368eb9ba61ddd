"""A Brazilian customer whose WhatsApp id is the older form (551187340476, without the
mobile 9) wrote in; ``POST /v1/conversations`` by their phone (+55 11 98734-0476) then
answered 201 and opened a second thread, to an id WhatsApp does not use for them. The
same for Mexico's 521 ids. The start finds the conversation they wrote in: a 409 naming
it, as for any existing conversation."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number
from tests.test_api_starts import TEMPLATE, start


@pytest.mark.parametrize(
    ("wa_id", "phone"),
    [("551187340476", "+55 11 98734-0476"), ("5215512345678", "+52 55 1234 5678")],
)
async def test_a_start_by_phone_finds_the_conversation_they_wrote_in(
    make_bot: BotFactory, wa_id: str, phone: str
) -> None:
    shared = await shared_number(make_bot)
    await shared.bot.post_whatsapp(meta.text_message(shared.bot.phone_number_id, wa_id, "oi"))
    await shared.bot.settle()
    body = {"number": shared.number, "identity": phone, "template": TEMPLATE}
    answer = await start(shared, body)
    assert answer.status == 409, answer.raw
    assert answer.json["conversation_id"] == shared.bot.conversation(wa_id)
