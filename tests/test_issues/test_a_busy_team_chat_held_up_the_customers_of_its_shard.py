"""A team chat command's answer was posted from inside the inbound shard's worker, where
it waited for the team group's pace (a post a second, 20 a minute): every customer of
that shard waited with it, for minutes when the team chat was busy, for their welcome,
their automation and their fan-out. The command still runs in its turn; its answer is
now posted in the team chat's own turn, by a task of its own."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators.telegram_api import SentMessage, TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import AGENT, TEAM_CHAT, telegram_bot

COMMANDS = 12
"""Team commands at once: their answers take about 11 s at a post a second."""


async def test_a_customer_is_answered_while_team_answers_wait_their_turn(
    make_bot: BotFactory,
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token)

        def answers() -> list[SentMessage]:
            return [m for m in api.messages_to(TEAM_CHAT) if "/profile" in m.text]

        runtime = tg.bot.runtime
        shard = runtime.shard_of(tg.conversation(AGENT))
        # A customer whose messages go through the same shard as the team member's.
        customer = next(
            u for u in range(5551000, 5552000) if runtime.shard_of(tg.conversation(u)) == shard
        )
        for _ in range(COMMANDS):
            api.group_text(TEAM_CHAT, AGENT, "/help")
        await api.wait_until(lambda: bool(api.messages_to(TEAM_CHAT)), timeout=10)
        api.customer_text(customer, "hello", first_name="Cara")
        await api.wait_until(lambda: bool(api.messages_to(customer)), timeout=30)
        welcome = api.messages_to(customer)[0]
        assert welcome.text == "Welcome! How can we help?"
        # Every answer is posted all the same, in order, at the group's pace.
        await api.wait_until(lambda: len(answers()) == COMMANDS, timeout=40)
        # The welcome did not wait for them: it went before the last, which the group's
        # pace holds back about COMMANDS - 1 seconds after the first (the order, not a
        # deadline of its own, so that a slow machine has those seconds to answer).
        assert welcome.sent_at < answers()[-1].sent_at
