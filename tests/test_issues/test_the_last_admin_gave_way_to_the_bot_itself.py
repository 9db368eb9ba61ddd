"""The team's last admin is kept one until there is another; but ``/role 0 agent`` (no
Telegram user has id 0) and ``/role <the bot's own id> admin`` were taken, and with the
bot an "admin" the last person who was one could step down: nobody left in the chat could
give the role back. A Telegram user id is a positive number, and the bot is no member."""

from __future__ import annotations

from handlers.ports import Caller
from tests.test_telegram_runtime import TelegramBot, tg

__all__ = ["tg"]

ANN = Caller("ann@example.com", "admin")


async def test_the_bot_and_id_0_are_no_team_members(tg: TelegramBot) -> None:
    commands = tg.bot.runtime.commands
    bot_id = tg.number.partition(":")[2]
    said = await commands.run(ANN, f"/role {bot_id} admin")
    assert "is the bot itself" in said, said
    for nobody in ("0", "tg:0", "000"):
        said = await commands.run(ANN, f"/role {nobody} agent")
        assert "a Telegram user id is a positive number" in said, said
    said = await commands.run(ANN, "/role ann@example.com viewer")
    assert "is the team's last admin" in said, said
    listed = await commands.run(ANN, "/role")
    assert bot_id not in listed and "tg:0" not in listed, listed
