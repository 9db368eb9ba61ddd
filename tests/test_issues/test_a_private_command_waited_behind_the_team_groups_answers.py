"""A team member's command in their private chat with the bot was answered after every
answer waiting for the team group, which posts 20 a minute: after 30 commands in the
group, a private ``/help`` was answered 70 s later, though Telegram would take it at
once. Each chat's answers wait for their own chat's pace alone."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import AGENT, TEAM_CHAT, telegram_bot


async def test_a_private_command_is_answered_while_the_groups_answers_wait(
    make_bot: BotFactory,
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        await telegram_bot(make_bot, api, token)
        for _ in range(30):  # a minute and a half of the group's pace
            api.group_text(TEAM_CHAT, AGENT, "/help")
        await api.wait_until(lambda: bool(api.messages_to(TEAM_CHAT)), timeout=10)
        api.customer_text(AGENT, "/help")
        # Posted in its own chat's turn: seconds, not the group's 90.
        await api.wait_until(lambda: bool(api.messages_to(AGENT)), timeout=15)
        assert "/profile" in api.messages_to(AGENT)[0].text
        assert len(api.messages_to(TEAM_CHAT)) < 30
