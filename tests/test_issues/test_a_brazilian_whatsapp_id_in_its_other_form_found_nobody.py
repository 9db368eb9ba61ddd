"""A Brazilian customer writing from WhatsApp id 551187654321 (an account older than the
mobile 9) was found by ``phone:+5511987654321`` and by ``phone:+551187654321``, but
``wa:5511987654321``, the same number with the 9, answered 404; Mexico's 521 and 52 the
same. A WhatsApp id not found as written is looked up by the phone it is."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number


@pytest.mark.parametrize(
    ("written", "other"), [("551187654321", "5511987654321"), ("5215512345678", "525512345678")]
)
async def test_either_form_of_the_id_finds_the_customer(
    make_bot: BotFactory, written: str, other: str
) -> None:
    shared = await shared_number(make_bot)
    bot = shared.bot
    sent = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, written, "oi"))
    assert sent.status == 200
    await bot.settle()
    found = await shared.call("support", "GET", f"/v1/profiles/wa:{written}")
    assert found.status == 200, found.raw
    again = await shared.call("support", "GET", f"/v1/profiles/wa:{other}")
    assert again.status == 200, again.raw
    assert again.json["profile"]["id"] == found.json["profile"]["id"]
    nobody = await shared.call("support", "GET", "/v1/profiles/wa:5511987650000")
    assert nobody.status == 404
