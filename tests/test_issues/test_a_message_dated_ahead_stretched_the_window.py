"""A WhatsApp message dated ahead of this server's clock (taken: a day ahead is allowed
for clocks that differ) was kept with its date, and the 24-hour window was counted from
it: dated 23 hours ahead, the window stayed open here for 47 hours, and free-form
replies Meta refuses were taken. A message ahead of the clock is dated as it arrived."""

from __future__ import annotations

import time

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447911000223"


async def test_a_message_dated_ahead_is_dated_as_it_arrived(make_bot: BotFactory) -> None:
    bot = await make_bot()
    arrived = time.time()
    payload = meta.text_message(PHONE_NUMBER_ID, WA_ID, "hello", timestamp=int(arrived) + 23 * 3600)
    assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    cid = bot.conversation(WA_ID)
    (inbound, *_) = await bot.runtime.conversations.timeline(cid)
    assert arrived - 1 <= inbound["timestamp"] <= time.time()
    last = await bot.runtime.conversations.last_inbound_at(cid)
    assert last is not None and last <= time.time()
