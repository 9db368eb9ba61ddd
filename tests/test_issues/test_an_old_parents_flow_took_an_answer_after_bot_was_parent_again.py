"""An old parent's flow answered the customer again once its service was parent again:
``bot`` asked for a phone number, the operator detached it, and ``support`` (with no
automation of its own, as a help desk has) became parent; the flow's state stayed, and
when ``bot`` was parent again the customer's next message, "07700900123", was taken as
the answer ("When suits you?"). Only a parent running flows dropped a former parent's
flow. Now the customer's first message under the new parent drops it, whatever that
parent runs, as the README says: after a parent change, a flow of the old parent is
dropped."""

from __future__ import annotations

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700900901"
AUTOMATION = automation_settings(
    {
        "fallback": "Sorry, we didn't get that.",
        "flows": {"callback": {"file": "flows/callback.yaml"}},
    }
)


async def test_bot_parent_again_does_not_take_an_answer_to_its_old_question(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    assert bot.graph is not None
    number, cid = f"wa:{bot.phone_number_id}", bot.conversation(WA_ID)
    directory, store = bot.runtime.directory, bot.runtime.pipeline.guided.store

    async def say(text: str) -> None:
        response = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, text))
        assert response.status == 200
        await bot.settle()

    await say("callback")
    await say("Dee")
    asked = [m.text for m in await bot.graph.wait_for_sent(2)]
    assert asked == ["Sure! What's your name?", "Thanks Dee. Which number should we call?"]
    await bot.runtime.fanout.publish(await directory.detach(number, "bot"))  # support is parent
    await say("I'm talking to support now")
    assert await store.get(cid) is None
    await bot.runtime.fanout.publish(await directory.attach(number, "bot"))
    await bot.runtime.fanout.publish(await directory.detach(number, "support"))  # bot again
    await say("07700900123")
    answered = (await bot.graph.wait_for_sent(3))[2].text
    assert answered == "Sorry, we didn't get that."  # no flow: the fallback, not the next step
    assert await store.get(cid) is None
