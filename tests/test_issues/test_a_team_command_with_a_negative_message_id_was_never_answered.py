"""A team command whose message id was negative (a Telegram update that passed the Bot
API's types, which only ask for an integer) ran, but its answer was never posted: the
reply to it named ``<chat>:-1``, which the adapter took for no message reference at all,
so the post failed and the log kept a traceback. The answer now goes, as a reply to that
id (Telegram posts it on its own when the id names no message)."""

from __future__ import annotations

import time

from tests.test_telegram_runtime import AGENT, TEAM_CHAT, TelegramBot, tg  # noqa: F401


async def test_the_answer_to_a_command_of_a_negative_id_is_posted(tg: TelegramBot) -> None:  # noqa: F811
    chat = {"id": TEAM_CHAT, "type": "supergroup", "title": "Team"}
    sender = {"id": AGENT, "is_bot": False, "first_name": "Ann"}
    tg.api.raw_update(
        "message",
        {
            "message_id": -1,
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            "text": "/claim nothing-here",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    )
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) >= 1, timeout=15)
    (post,) = tg.api.messages_to(TEAM_CHAT)
    assert post.text.split("\n")[0] == "'nothing-here' is not a conversation id"
