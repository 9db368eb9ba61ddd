"""WhatsApp's ``system`` notice that a customer moved to a new number was taken as the
customer's own message: the automation answered it (a welcome or the fallback, sent to
the number the customer had left), it opened the 24-hour window for free-form sends Meta
then refuses, and the new number never joined the customer's profile. It is kept and told
to the services now, answers nothing, opens no window, and the new number joins the
profile, so that the customer's next message from it is theirs."""

from __future__ import annotations

import asyncio
import time

from bot.model import Identity
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number, wait_for_event

OLD, NEW = "447911123456", "447911654321"


async def test_a_new_number_joins_the_profile_and_nothing_answers(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)  # the customer of OLD said hello: welcomed
    bot, graph = shared.bot, shared.graph
    sent_before = len(graph.sent)
    yesterday = int(time.time()) - 25 * 3600
    conversation = bot.runtime.conversations
    # Their last message was 25 hours ago: the window is closed.
    await conversation.redis.hset(
        conversation._k(shared.conversation, "meta"), "last_inbound_at", str(yesterday)
    )
    notice = meta.number_changed(bot.phone_number_id, OLD, NEW)
    assert (await bot.post_whatsapp(notice)).status == 200
    sales = bot.sinks["sales"]
    told = await wait_for_event(
        sales, "message.inbound", lambda d: d["message"]["kind"] == "unsupported"
    )
    assert "user_changed_number" in str(told["data"]["message"].get("provider_content"))
    await bot.settle()

    profiles = bot.runtime.profiles
    profile = await profiles.lookup(Identity("wa", OLD))
    assert await profiles.lookup(Identity("wa", NEW)) == profile
    assert await profiles.lookup(Identity("phone", f"+{NEW}")) == profile
    assert len(graph.sent) == sent_before  # nothing answered the notice
    refused = await shared.reply("sales", "Are you there?")
    assert refused.status == 422, refused.raw  # the window stays closed

    # The customer writes from the new number: the same person.
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, NEW, "new phone, same me"))
    async with asyncio.timeout(10):
        while True:
            timeline = await conversation.timeline(bot.conversation(NEW))
            if timeline:
                break
            await asyncio.sleep(0.05)
    assert await profiles.lookup(Identity("wa", NEW)) == profile


async def test_the_automation_does_not_answer_a_notice(make_bot: BotFactory) -> None:
    bot = await make_bot()  # the runtime's own automation: a welcome, rules, a fallback
    graph = bot.graph
    assert graph is not None
    notice = meta.number_changed(bot.phone_number_id, "447911000111", "447911000222")
    assert (await bot.post_whatsapp(notice)).status == 200
    await wait_for_event(bot.sinks["support"], "message.inbound")
    await bot.settle()
    assert graph.sent == []
    meta_of = await bot.runtime.conversations.meta(bot.conversation("447911000111"))
    assert meta_of["inbound"] == "1" and "last_inbound_at" not in meta_of
