"""In the team chat, an agent replied with an answer for the customer to the bot's own
``/inbox`` answer (or to a post too old to be known): nothing was sent and nothing was
said, and the agent believed the customer had their answer. A reply to one of the bot's
messages that is no customer's post is told so, with the way to answer; a reply to a
person's message is chatter, as before."""

from __future__ import annotations

from bot.team.chat import NOT_A_POST
from tests.test_telegram_runtime import (  # noqa: F401 (a fixture)
    AGENT,
    CUSTOMER,
    TEAM_CHAT,
    TelegramBot,
    tg,
)


async def test_a_reply_to_the_bots_answer_is_told_it_reached_nobody(
    tg: TelegramBot,  # noqa: F811 (the fixture imported above)
) -> None:
    api = tg.api
    api.customer_text(CUSTOMER, "Where is my order?", first_name="Cara")
    await api.wait_until(lambda: len(api.messages_to(TEAM_CHAT)) == 1)
    chatter = api.group_text(TEAM_CHAT, AGENT, "Who takes this one?")
    api.group_text(TEAM_CHAT, AGENT, "/inbox")
    await api.wait_until(lambda: len(api.messages_to(TEAM_CHAT)) == 2)
    inbox = api.messages_to(TEAM_CHAT)[-1]

    api.group_text(TEAM_CHAT, AGENT, "Me!", reply_to_message_id=chatter["message"]["message_id"])
    api.group_text(TEAM_CHAT, AGENT, "It ships today", reply_to_message_id=inbox.message_id)
    await api.wait_until(lambda: len(api.messages_to(TEAM_CHAT)) == 3)
    told = api.messages_to(TEAM_CHAT)[-1]
    assert told.text == NOT_A_POST
    assert len(api.messages_to(CUSTOMER)) == 1  # the welcome alone: nothing was sent
