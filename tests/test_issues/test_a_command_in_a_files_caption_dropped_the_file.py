"""A photo sent to the team chat with the caption ``/reply c_… here is the form`` sent the
customer the caption alone, "here is the form" without the form, and the team chat
answered "Sent". A file from the team chat is refused (README, "Connecting Telegram"), a
reply to a post already was; a command in a caption is refused now, and runs nothing."""

from __future__ import annotations

from bot.team.chat import CAPTION_REFUSED
from tests.test_telegram_runtime import AGENT, CUSTOMER, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]


async def test_a_command_in_a_caption_is_refused(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "can I have the form?", first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)))
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(CUSTOMER)))  # the welcome
    before = len(tg.api.messages_to(CUSTOMER))
    caption = f"/reply {tg.conversation()} here is the form"
    tg.api.photo(AGENT, caption=caption, chat_id=TEAM_CHAT, data=b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) == 2, timeout=10)
    assert tg.api.messages_to(TEAM_CHAT)[1].text == CAPTION_REFUSED
    await tg.bot.settle()
    assert len(tg.api.messages_to(CUSTOMER)) == before
