"""A team chat post that waited longer than the fan-out's reclaim time (the group's 20
posts a minute, or a slow Bot API) was taken back by the very process delivering it, as
soon as another customer message made it look at the team's queue, and posted again: the
last messages of a burst reached the team twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from bot.config.settings import DeliverySettings
from bot.core import couriers
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_notifications import until
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, telegram_bot

DELIVERY = DeliverySettings(retry_base=0.05, retry_cap=0.5, timeout=0.5)
"""A reclaim time of 1.5 s (three times the timeout, its 5 s floor lowered): the shipped
bounds, or the tests' usual 6 s, would have the posts held for longer."""


async def test_a_post_still_on_its_way_is_not_posted_again(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(couriers, "RECLAIM_AT_LEAST", 1.0)
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token, delivery=DELIVERY)
        depths = tg.bot.runtime.deliveries.depths

        async def drained(depths: Awaitable[dict[str, tuple[int, int]]]) -> bool:
            return (await depths)["team"] == (0, 0)

        def posted() -> list[str]:
            return [post.text.split("\n")[1] for post in api.messages_to(TEAM_CHAT)]

        # The welcome and the team's post take longer than the reclaim's 1.5 s.
        api.slow("sendMessage", seconds=6.0, times=2)
        api.customer_text(CUSTOMER, "hello")
        await api.wait_until(lambda: api.held == 2, timeout=10)
        await asyncio.sleep(2.5)  # the post's entry idle past the reclaim's time
        api.customer_text(CUSTOMER, "again")
        await api.wait_until(lambda: api.held == 0 and len(posted()) >= 2, timeout=30)
        await until(lambda: drained(depths(["team"])), what="the team's queue drained")
        # Posts go in turn: one taken back would be posted before this one.
        api.customer_text(CUSTOMER, "last")
        await api.wait_until(lambda: "last" in posted(), timeout=20)
        assert sorted(posted()) == ["again", "hello", "last"]
