"""Sending limits (CH-6): the shared rate in Redis and the turns per chat."""

from __future__ import annotations

import asyncio
import itertools
import time

from redis.asyncio import Redis

from bot.channels.ratelimit import ChatSpacing
from stores.rates import SharedRate
from stores.redis import Keys


async def test_the_shared_rate_spaces_sends_across_clients(store: Redis, prefix: str) -> None:
    rates = [SharedRate(store, Keys(prefix)) for _ in range(2)]
    started = time.monotonic()
    await asyncio.gather(*(rates[n % 2].wait("wa:1", 20.0) for n in range(10)))
    # Ten sends at 20 a second: the last one's slot is 9 intervals after the first.
    assert time.monotonic() - started >= 9 * 0.05 - 0.02


async def test_each_reserved_slot_comes_one_interval_after_the_last(
    store: Redis, prefix: str
) -> None:
    rate = SharedRate(store, Keys(prefix))
    first = await rate.reserve("wa:1", 1.0)
    second = await rate.reserve("wa:1", 1.0)
    third = await rate.reserve("wa:1", 1.0)
    # Each answer is a second more, less the moments that passed between the calls.
    assert first == 0
    assert 0.5 < second <= 1.0 and 1.5 < third <= 2.0
    # Another number keeps its own schedule.
    assert await rate.reserve("wa:2", 1.0) == 0


async def test_a_slot_in_the_past_is_not_owed(store: Redis, prefix: str) -> None:
    rate = SharedRate(store, Keys(prefix))
    await rate.reserve("tg:1", 50.0)
    await asyncio.sleep(0.05)
    assert await rate.reserve("tg:1", 50.0) == 0


async def test_one_chat_takes_turns_and_another_does_not_wait() -> None:
    spacing = ChatSpacing()
    done: list[tuple[str, float]] = []

    async def send(chat: str) -> None:
        async with spacing.turn(chat, 0.2):
            done.append((chat, time.monotonic()))

    await asyncio.gather(send("a"), send("a"), send("a"), send("b"))
    times_a = [at for chat, at in done if chat == "a"]
    assert all(later - earlier >= 0.19 for earlier, later in itertools.pairwise(times_a))
    assert [chat for chat, _ in done][:2] == ["a", "b"]  # b never waits behind a


async def test_a_group_gets_at_most_its_share_per_minute() -> None:
    spacing = ChatSpacing()
    stamps: list[float] = []
    for _ in range(5):
        async with spacing.turn("-100", 0.0, per_minute=3, minute=0.3):
            stamps.append(time.monotonic())
    # The fourth waits for the first to leave the (shortened) minute.
    assert stamps[3] - stamps[0] >= 0.29
    assert stamps[4] - stamps[1] >= 0.29
