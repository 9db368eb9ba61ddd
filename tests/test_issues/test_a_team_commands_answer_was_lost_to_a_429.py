"""The answer to a team command was posted once: a 429 from Telegram (a busy team chat),
and "/inbox" got no answer at all, only an error in the log. The answer is posted again
after Telegram's retry_after now."""

from __future__ import annotations

from tests.test_telegram_runtime import AGENT, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]


async def test_a_throttled_answer_is_posted_after_retry_after(tg: TelegramBot) -> None:
    tg.api.throttle("sendMessage", times=1, retry_after=1)
    tg.api.group_text(TEAM_CHAT, AGENT, "/help")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)), timeout=10)
    assert "/profile" in tg.api.messages_to(TEAM_CHAT)[0].text
    refused = [r for r in tg.api.requests if r.api_method == "sendMessage" and r.status == 429]
    assert len(refused) == 1
    await tg.bot.stop()  # while its Telegram is up
