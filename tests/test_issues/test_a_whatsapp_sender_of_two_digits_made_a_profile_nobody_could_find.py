"""A WhatsApp message ``from`` "12" was taken and made a profile whose one identity,
``wa:12``, the API then refused as no WhatsApp id: the profile could be neither looked up
nor erased by it. A sender is 5 to 20 digits, as everywhere else a WhatsApp id is read;
anything else is a 400, and nothing is stored."""

from __future__ import annotations

import pytest

from bot.model import Identity
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


@pytest.mark.parametrize("sender", ["12", "1" * 21])
async def test_a_sender_that_is_no_whatsapp_id_is_refused(
    make_bot: BotFactory, sender: str
) -> None:
    bot = await make_bot()
    answer = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, sender, "x"))
    assert answer.status == 400
    assert "'from' of 5 to 20 digits" in await answer.text()
    assert await bot.runtime.inbound_log.backlog() == 0
    assert await bot.runtime.profiles.lookup(Identity("wa", sender)) == ""
