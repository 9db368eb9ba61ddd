"""In the team chat, a file refusal came before the role check: a stranger's photo with
``/forget tg:5002`` as its caption, or a document in reply to a customer's post, got the
file refusal (naming the conversation) and no audit entry; a caption naming the bot
(``/reply@OurBot ...``) got no answer at all; and a sticker or a place in reply to a
post was dropped without a word."""

from __future__ import annotations

from bot.team.chat import CAPTION_REFUSED
from tests.test_telegram_runtime import AGENT, CUSTOMER, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]

STRANGER = 9990001
VIEWER = 7770002


async def posted(tg: TelegramBot) -> int:
    """The customer writes; the team chat's post of it."""
    tg.api.customer_text(CUSTOMER, "can I have the form?", first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)))
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(CUSTOMER)))  # the welcome
    return tg.api.messages_to(TEAM_CHAT)[0].message_id


async def answer(tg: TelegramBot, count: int) -> str:
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) == count, timeout=10)
    return tg.api.messages_to(TEAM_CHAT)[-1].text


async def test_a_strangers_or_viewers_file_is_refused_for_who_they_are_and_audited(
    tg: TelegramBot,
) -> None:
    post = await posted(tg)
    tg.api.photo(STRANGER, caption="/forget tg:5002", chat_id=TEAM_CHAT)
    assert (await answer(tg, 2)).startswith("You are not on this team's list")
    tg.api.document(STRANGER, chat_id=TEAM_CHAT, reply_to_message_id=post)
    refused = await answer(tg, 3)
    assert refused.startswith("You are not on this team's list")
    assert tg.conversation() not in refused
    tg.api.document(VIEWER, chat_id=TEAM_CHAT, reply_to_message_id=post)
    assert await answer(tg, 4) == "/reply needs the agent role; you are viewer."

    trail = await tg.bot.runtime.desk.audit_trail()
    assert [(entry["who"], entry["command"]) for entry in trail[:3]] == [
        ("vic@example.com", "/reply"),
        (f"tg:{STRANGER}", "/reply"),
        (f"tg:{STRANGER}", "/forget"),
    ]


async def test_a_caption_naming_the_bot_is_refused_as_a_caption(tg: TelegramBot) -> None:
    await posted(tg)
    caption = f"/reply@switchboard_test_bot {tg.conversation()} here is the form"
    tg.api.photo(AGENT, caption=caption, chat_id=TEAM_CHAT)
    assert await answer(tg, 2) == CAPTION_REFUSED


async def test_a_place_in_reply_to_a_post_is_refused_not_dropped(tg: TelegramBot) -> None:
    post = await posted(tg)
    to_customer = len(tg.api.messages_to(CUSTOMER))
    tg.api.location_share(AGENT, 51.5, -0.12, chat_id=TEAM_CHAT, reply_to_message_id=post)
    assert (await answer(tg, 2)).startswith("Not sent: a location cannot go to the customer")
    await tg.bot.settle()
    assert len(tg.api.messages_to(CUSTOMER)) == to_customer
