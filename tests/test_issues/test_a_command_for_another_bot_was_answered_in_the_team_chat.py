"""In a group with several bots, ``/help@OtherBot`` is Telegram's way to address one of
them. The command layer dropped the ``@name`` whatever it was, so the bot answered (and
ran) commands that were meant for another bot in the team chat. It now runs a command
that names no bot or names it, and leaves the others to their bot."""

from __future__ import annotations

from tests.test_telegram_runtime import AGENT, TEAM_CHAT, TelegramBot, tg  # noqa: F401


async def test_a_command_for_another_bot_is_left_to_it(tg: TelegramBot) -> None:  # noqa: F811
    ours = tg.api.bot_user["username"]
    tg.api.group_text(TEAM_CHAT, AGENT, "/help@SomeOtherBot")
    tg.api.group_text(TEAM_CHAT, AGENT, "/claim@someotherbot nothing")
    named = tg.api.group_text(TEAM_CHAT, AGENT, f"/claim@{ours.upper()} first-one")
    plain = tg.api.group_text(TEAM_CHAT, AGENT, "/claim second-one")
    # Commands run in order, so the answers to the last two come after any to the first two.
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) >= 2, timeout=15)
    posts = tg.api.messages_to(TEAM_CHAT)
    assert [post.text.split("\n")[0] for post in posts] == [
        "'first-one' is not a conversation id",
        "'second-one' is not a conversation id",
    ]
    assert [post.reply_to_message_id for post in posts] == [
        named["message"]["message_id"],
        plain["message"]["message_id"],
    ]
