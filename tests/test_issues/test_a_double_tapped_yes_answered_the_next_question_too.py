"""A double-tapped button answered the next question too, when that question had a button
of the same label: "Yes" tapped twice on "Did the fix work?" saved ``close: Yes`` for
"Can we close the ticket?", which the customer never answered, on WhatsApp and on
Telegram. Only the press's ``b:<index>`` and its label were compared. Both channels say
which message was pressed (WhatsApp's ``context``, the message of Telegram's callback
query): a press on another message than the one that asked the current question is no
answer to it, and the question is asked again."""

from __future__ import annotations

from typing import Any

from bot.config.automation import automation_settings
from bot.config.settings import TelegramSettings
from bot.model import Identity
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token

SURVEY = {
    "start": ["survey"],
    "steps": [
        {
            "id": "worked",
            "ask": "Did the fix work?",
            "input": "choice",
            "choices": ["Yes", "No"],
            "save": "worked",
        },
        {
            "id": "more",
            "ask": "Can we close the ticket?",
            "input": "choice",
            "choices": ["Yes", "No"],
            "save": "close",
        },
        {"id": "note", "ask": "Anything to add?", "input": "text"},
    ],
}
AUTOMATION = automation_settings({"flows": {"survey": SURVEY}})
ASKED_AGAIN = "That button was for an earlier question.\nCan we close the ticket?"


async def fields(bot: Bot, identity: Identity) -> dict[str, Any]:
    profile = await bot.runtime.profiles.lookup(identity)
    found: dict[str, Any] = (await bot.runtime.profiles.get(profile))["fields"]
    return found


async def test_a_second_tap_on_whatsapp_does_not_answer_the_next_question(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    assert bot.graph is not None
    phone, wa_id = bot.phone_number_id, "447700900701"

    async def post(payload: Any) -> None:
        response = await bot.post_whatsapp(payload)
        assert response.status == 200
        await bot.settle()

    async def texts(n: int) -> list[str]:
        assert bot.graph is not None
        return [str(m.text) for m in await bot.graph.wait_for_sent(n)]

    await post(meta.text_message(phone, wa_id, "survey"))
    first = (await bot.graph.wait_for_sent(1))[0]
    await post(meta.button_reply(phone, wa_id, "b:0", "Yes", context_id=first.message_id))
    second = (await bot.graph.wait_for_sent(2))[1]
    await post(meta.button_reply(phone, wa_id, "b:0", "Yes", context_id=first.message_id))
    assert (await texts(3))[1:] == ["Can we close the ticket?", ASKED_AGAIN]
    assert await fields(bot, Identity("wa", wa_id)) == {"worked": "Yes"}
    await post(meta.button_reply(phone, wa_id, "b:1", "No", context_id=second.message_id))
    assert (await texts(4))[3] == "Anything to add?"
    assert await fields(bot, Identity("wa", wa_id)) == {"worked": "Yes", "close": "No"}


async def test_a_second_tap_on_telegram_does_not_answer_the_next_question(
    make_bot: BotFactory,
) -> None:
    token, customer = fake_token(), 5552001
    async with TelegramAPIEmulator(token) as api:
        bot = await make_bot(
            whatsapp=False,
            automation=AUTOMATION,
            telegram=TelegramSettings(token=token, api_base=api.base_url),
            telegram_lease_ttl=2.0,
        )
        try:
            await second_taps_on_telegram(bot, api, customer)
        finally:
            await bot.stop()  # before its emulator goes


async def second_taps_on_telegram(bot: Bot, api: TelegramAPIEmulator, customer: int) -> None:
    """Two taps on the first question's "Yes", then "No" on the second question's."""

    async def texts(n: int) -> list[str]:
        await api.wait_until(lambda: len(api.messages_to(customer)) >= n, timeout=10)
        return [m.text for m in api.messages_to(customer)]

    api.customer_text(customer, "survey")
    assert await texts(1) == ["Did the fix work?"]
    first = api.messages_to(customer)[0]
    api.callback_query(customer, "b:0", first.message_id)
    assert await texts(2) == ["Did the fix work?", "Can we close the ticket?"]
    second = api.messages_to(customer)[1]
    api.callback_query(customer, "b:0", first.message_id)
    assert (await texts(3))[1:] == ["Can we close the ticket?", ASKED_AGAIN]
    assert await fields(bot, Identity("tg", str(customer))) == {"worked": "Yes"}
    api.callback_query(customer, "b:1", second.message_id)
    assert (await texts(4))[3] == "Anything to add?"
    assert await fields(bot, Identity("tg", str(customer))) == {"worked": "Yes", "close": "No"}
