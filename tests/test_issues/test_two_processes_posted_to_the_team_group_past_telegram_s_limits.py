"""With two or more processes, posts to the team group went past Telegram's limits (20 a
minute in a group, 1 a second in a chat): each process kept them for its own posts only,
and the team chat is posted to by whichever process delivers its queue (30 posts in a
minute with two, where one kept to 20). A group's limits are kept in Redis now, by every
process together: here two clients, as two processes, reserve a group's slots."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.channels.telegram import CHAT_INTERVAL, GROUP_PER_MINUTE
from stores.rates import SharedRate
from stores.redis import Keys


async def test_two_processes_keep_one_group_s_limits_together(store: Redis, prefix: str) -> None:
    processes = [SharedRate(store, Keys(prefix)) for _ in range(2)]
    key = "telegram:1:group:-1009990001"
    waits = [
        await processes[n % 2].reserve_in_window(key, CHAT_INTERVAL, GROUP_PER_MINUTE, 60)
        for n in range(30)
    ]
    # One a second from the first: the 20 of the first minute, then the 21st a minute after
    # the first, the 22nd a minute after the second...
    assert waits[0] == 0
    for n in range(1, 20):
        assert n - 0.5 < waits[n] <= n, (n, waits[n])
    for n in range(20, 30):
        assert 60 + (n - 20) - 0.5 < waits[n] <= 60 + (n - 20), (n, waits[n])
    # Another group keeps its own.
    other = await processes[0].reserve_in_window("telegram:1:group:-100777", 1.0, 20, 60)
    assert other == 0
