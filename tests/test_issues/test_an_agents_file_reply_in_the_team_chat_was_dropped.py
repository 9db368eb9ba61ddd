"""An agent who answered a customer's post in the team chat with a photo got "Sent to ..."
while only its caption went ("here is the form", without the form), and with a document
without a caption nothing happened at all. A file cannot go from the team chat: the agent
is told so, and the customer gets neither the file nor its caption."""

from __future__ import annotations

from tests.test_telegram_runtime import AGENT, CUSTOMER, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]


async def test_a_file_reply_is_refused_to_the_agent(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "can I have the form?", first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)))
    (post,) = tg.api.messages_to(TEAM_CHAT)
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(CUSTOMER)))  # the welcome
    to_customer = len(tg.api.messages_to(CUSTOMER))
    refusal = "Not sent: a file cannot go to the customer from the team chat."
    kw = {"chat_id": TEAM_CHAT, "reply_to_message_id": post.message_id}
    tg.api.photo(AGENT, caption="here is the form", **kw)
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) == 2)
    assert tg.api.messages_to(TEAM_CHAT)[-1].text.startswith(refusal)
    tg.api.document(AGENT, **kw)
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) == 3)
    assert tg.api.messages_to(TEAM_CHAT)[-1].text.startswith(refusal)
    # Text still goes; it comes after the files, so they sent nothing before it.
    tg.api.group_text(
        TEAM_CHAT, AGENT, "the form is on its way", reply_to_message_id=post.message_id
    )
    await tg.api.wait_until(lambda: len(tg.api.messages_to(CUSTOMER)) == to_customer + 1)
    assert tg.api.messages_to(CUSTOMER)[-1].text == "the form is on its way"
