"""Channel sending limits (CH-6): spacing per chat in the process, which is the only one
sending to a customer's chat (a conversation's shard has one worker at a time). The rates
shared by every process (a number's, a group's) are ``stores.rates.SharedRate``."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator

MAX_CHATS = 100_000
"""Chats whose last send is remembered; older ones have long been free to send again."""


class ChatSpacing:
    """Sends to one chat take turns: at least ``interval`` seconds from the end of one
    send to the start of the next (so the provider sees them that far apart, whatever
    the network's delays), and at most ``per_minute`` in any minute, in this process."""

    def __init__(self) -> None:
        self._turns: OrderedDict[str, tuple[asyncio.Lock, deque[float]]] = OrderedDict()

    @contextlib.asynccontextmanager
    async def turn(
        self, chat: str, interval: float, per_minute: int | None = None, minute: float = 60.0
    ) -> AsyncIterator[None]:
        lock, recent = (
            self._turns.pop(chat) if chat in self._turns else (asyncio.Lock(), deque(maxlen=60))
        )
        self._turns[chat] = (lock, recent)
        if len(self._turns) > MAX_CHATS:
            self._forget_idle()
        async with lock:
            now = time.monotonic()
            ready = recent[-1] + interval if recent else now
            if per_minute and len(recent) >= per_minute:
                ready = max(ready, recent[-per_minute] + minute)
            if ready > now:
                await asyncio.sleep(ready - now)
            try:
                yield
            finally:
                recent.append(time.monotonic())

    def _forget_idle(self) -> None:
        for chat in list(self._turns)[: len(self._turns) - MAX_CHATS]:
            if not self._turns[chat][0].locked():
                del self._turns[chat]
