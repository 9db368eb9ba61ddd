"""A team chat command's answer was posted from inside the inbound shard's worker, where
it waited for the team group's pace (a post a second, 20 a minute): every customer of
that shard waited with it, for minutes when the team chat was busy, for their welcome,
their automation and their fan-out. The command still runs in its turn; its answer is
now posted in the team chat's own turn, by a task of its own."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import AGENT, TEAM_CHAT, telegram_bot


async def test_a_customer_is_answered_while_team_answers_wait_their_turn(
    make_bot: BotFactory,
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token)
        runtime = tg.bot.runtime
        shard = runtime.shard_of(tg.conversation(AGENT))
        # A customer whose messages go through the same shard as the team member's.
        customer = next(
            u for u in range(5551000, 5552000) if runtime.shard_of(tg.conversation(u)) == shard
        )
        for _ in range(8):
            api.group_text(TEAM_CHAT, AGENT, "/help")
        await api.wait_until(lambda: bool(api.messages_to(TEAM_CHAT)), timeout=10)
        api.customer_text(customer, "hello", first_name="Cara")
        await api.wait_until(lambda: bool(api.messages_to(customer)), timeout=3)
        assert api.messages_to(customer)[0].text == "Welcome! How can we help?"
        # Every answer is posted all the same, in order, at the group's pace.
        await api.wait_until(
            lambda: sum("/profile" in m.text for m in api.messages_to(TEAM_CHAT)) == 8,
            timeout=20,
        )
