"""A team member who fixed a typo in a command by editing it got no answer at all, and
the edit was not run: nothing ran twice, but nothing said so either. The edit of a
command is answered now: it is not run, and the command is to be sent again."""

from __future__ import annotations

from tests.test_telegram_runtime import AGENT, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]


async def test_an_edited_command_is_answered_and_not_run(tg: TelegramBot) -> None:
    for chat in (AGENT, TEAM_CHAT):  # a private chat and the team's group
        sent = tg.api.command(AGENT, "/hlep", chat_id=chat)
        await tg.api.wait_until(lambda chat=chat: len(tg.api.messages_to(chat)) >= 1)
        before = len(tg.api.messages_to(chat))
        tg.api.edited_text(AGENT, sent["message"]["message_id"], "/help", chat_id=chat)
        await tg.api.wait_until(lambda c=chat, n=before: len(tg.api.messages_to(c)) > n)
        answer = tg.api.messages_to(chat)[-1].text
        assert "not run" in answer and "send it again" in answer, answer
        assert "/profile" not in answer  # /help did not run
