"""A flow's hand-off post to the team chat goes in the background (the group's limits
must not hold up the customers' messages), and a graceful stop did not wait for it: a
hand-off waiting for the team chat was lost at a restart, and no line said so."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_flows_runtime import flows_bot, nth_reply


async def test_a_graceful_stop_posts_the_hand_offs_under_way(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token, team_chat, customer = fake_token(), -1001234567892, 5551010
    async with TelegramAPIEmulator(token) as api:
        api.add_group(team_chat, "Team")
        bot = await flows_bot(make_bot, token, api, team_chat)

        api.customer_text(customer, "quote")
        assert (await nth_reply(api, customer, 1)).startswith("Happy to help")
        api.callback_query(customer, "b:0")
        assert await nth_reply(api, customer, 2) == "What's your company called?"
        await api.wait_until(lambda: len(api.messages_to(team_chat)) >= 2, timeout=10)
        # The team chat is slow now: what goes to the customer and the team waits.
        api.slow("sendMessage", seconds=4.0, times=3)
        api.customer_text(customer, "Agent")
        # The answer and the post of "Agent" are held; the hand-off waits for its turn.
        await api.wait_until(lambda: api.held == 2, timeout=10)
        caplog.set_level(logging.INFO)
        await bot.stop()

        posts = [m.text for m in api.messages_to(team_chat)]
        assert any(text.startswith("Hand-off:") for text in posts), posts
