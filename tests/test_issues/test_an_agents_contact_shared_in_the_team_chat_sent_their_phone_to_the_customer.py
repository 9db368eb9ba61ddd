"""An agent who answered a customer's post in the team chat by sharing a contact (their
own, as Telegram's attachment menu offers it first) sent the customer that contact's phone
number as a text message: a contact's text is its number, so it passed for a reply. A
contact, like a sticker or a place, cannot go from the team chat: the agent is told so,
and the customer gets nothing."""

from __future__ import annotations

from tests.test_telegram_runtime import AGENT, CUSTOMER, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]


async def test_a_contact_reply_is_refused_to_the_agent(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "who do I call?", first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)), timeout=15)
    (post,) = tg.api.messages_to(TEAM_CHAT)
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(CUSTOMER)), timeout=15)  # welcome
    to_customer = len(tg.api.messages_to(CUSTOMER))
    tg.api.contact_share(
        AGENT, "+447700900777", chat_id=TEAM_CHAT, reply_to_message_id=post.message_id
    )
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) == 2, timeout=15)
    assert tg.api.messages_to(TEAM_CHAT)[-1].text.startswith(
        "Not sent: a contact cannot go to the customer from the team chat."
    )
    # Text still goes; it comes after the contact, so the contact sent nothing before it.
    tg.api.group_text(TEAM_CHAT, AGENT, "call us any time", reply_to_message_id=post.message_id)
    await tg.api.wait_until(
        lambda: len(tg.api.messages_to(CUSTOMER)) == to_customer + 1, timeout=15
    )
    assert [m.text for m in tg.api.messages_to(CUSTOMER)[to_customer:]] == ["call us any time"]
