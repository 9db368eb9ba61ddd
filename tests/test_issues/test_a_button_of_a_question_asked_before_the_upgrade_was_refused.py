"""After an upgrade, a customer in the middle of a flow whose question the version before
asked (its state kept no ids of the messages that asked it) typed a wrong answer: asked
again, they tapped the first question's button, and were refused as pressing a stale
button, every time. A step is held to the messages that asked it only when they were
all noted, from the step's start."""

from __future__ import annotations

import json
from typing import Any

from bot.model import Identity, conversation_id
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_issues.test_a_double_tapped_yes_answered_the_next_question_too import (
    AUTOMATION,
    fields,
)


async def test_a_question_asked_before_the_upgrade_takes_its_buttons(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    assert bot.graph is not None
    phone, wa_id = bot.phone_number_id, "447700900702"
    runtime = bot.runtime

    async def post(payload: Any) -> None:
        assert (await bot.post_whatsapp(payload)).status == 200
        await bot.settle()

    await post(meta.text_message(phone, wa_id, "survey"))
    question = (await bot.graph.wait_for_sent(1))[0]
    # The state as the version before kept it: no ids of the messages that asked.
    key = runtime.keys.conversation(conversation_id(f"wa:{phone}", Identity("wa", wa_id)), "flow")
    state = json.loads(await runtime.redis.get(key))
    state.pop("asked")
    await runtime.redis.set(key, json.dumps(state), keepttl=True)

    await post(meta.text_message(phone, wa_id, "maybe"))  # asked again
    await bot.graph.wait_for_sent(2)
    await post(meta.button_reply(phone, wa_id, "b:0", "Yes", context_id=question.message_id))
    assert str((await bot.graph.wait_for_sent(3))[2].text) == "Can we close the ticket?"
    assert await fields(bot, Identity("wa", wa_id)) == {"worked": "Yes"}
