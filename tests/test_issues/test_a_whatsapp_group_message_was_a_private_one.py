"""A message in a WhatsApp group (Meta's Groups API marks it with ``group_id``) was taken
as the member's private message: it went into their own conversation, the bot welcomed
them in private, and it opened their 24-hour window. It is acknowledged and left be,
as a Telegram group's is."""

from __future__ import annotations

import copy

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447911000224"


async def test_a_group_s_message_is_acknowledged_and_left_be(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(PHONE_NUMBER_ID, WA_ID, "hello all")
    grouped = copy.deepcopy(payload)
    grouped["entry"][0]["changes"][0]["value"]["messages"][0]["group_id"] = "120363012345678901"
    assert (await bot.post_whatsapp(grouped)).status == 200
    assert (await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, WA_ID, "hi"))).status == 200
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m.get("text") for m in timeline if m["direction"] == "inbound"] == ["hi"]
    await bot.sinks["support"].wait_for_count(1, "message.inbound")
    inbound = bot.sinks["support"].events("message.inbound")
    assert [e["data"]["message"]["text"] for e in inbound] == ["hi"]
