"""A customer's reaction to the bot's answer (a thumbs up, or taking one off) got the
fallback, "Thanks! Someone will get back to you.", and a new customer whose first item
was a reaction got the welcome. An emoji on our message asks for no answer."""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import AUTOMATION, BotFactory
from tests.emulators import meta_webhooks as meta

FALLBACK = "Thanks! Someone will get back to you."
PRICE = "Plans start at 9 a month."


async def test_a_reaction_gets_no_automated_answer(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=replace(AUTOMATION, fallback=FALLBACK))
    graph = bot.graph
    assert graph is not None
    ann, bea = "447700900301", "447700900302"
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, ann, "price?"))
    sent = await graph.wait_for_sent(2)
    assert [s.text for s in sent] == ["Welcome! How can we help?", PRICE]
    answer_id = sent[-1].message_id
    await bot.post_whatsapp(meta.reaction_message(bot.phone_number_id, ann, answer_id, "👍"))
    await bot.post_whatsapp(meta.reaction_message(bot.phone_number_id, ann, answer_id, None))
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, ann, "price again?"))
    sent = await graph.wait_for_sent(3)
    assert [s.text for s in sent[2:]] == [PRICE]

    # A first item that is a reaction (to a campaign's message, say): no welcome.
    await bot.post_whatsapp(meta.reaction_message(bot.phone_number_id, bea, "wamid.x", None))
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, bea, "price?"))
    sent = await graph.wait_for_sent(4)
    assert [(s.to, s.text) for s in sent[3:]] == [(bea, PRICE)]
