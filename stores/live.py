"""Live pushes to web chat sockets through Redis pub/sub, whichever process holds the socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.asyncio import Redis

from bot.logs import Quiet
from stores.redis import LISTEN_QUIET_SECONDS, Keys

log = logging.getLogger(__name__)


class BaseLiveChannel(Protocol):
    """Frames for web chat visitors, heard by whichever process holds their socket."""

    async def publish(self, visitor: str, frame: str) -> None:
        """Send ``frame`` to ``visitor``'s socket, wherever it is held."""

    async def listen(
        self, deliver: Callable[[str, str], Awaitable[None]], ready: asyncio.Event | None = None
    ) -> None:
        """Call ``deliver(visitor, frame)`` for each published frame until cancelled."""


class LiveChannel(BaseLiveChannel):
    """Publish a frame for a visitor; listen for every visitor's frames in this process."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def publish(self, visitor: str, frame: str) -> None:
        await self.redis.publish(self.keys.web_channel(visitor), frame)

    async def listen(
        self, deliver: Callable[[str, str], Awaitable[None]], ready: asyncio.Event | None = None
    ) -> None:
        """Call ``deliver(visitor, frame)`` for each published frame until cancelled. When
        the connection is lost (Redis restarts), it subscribes again: what was published
        meanwhile is lost to the open sockets, whose pages show it at their next history."""
        prefix = self.keys.web_channel("")
        quiet = Quiet(LISTEN_QUIET_SECONDS)
        while True:
            pubsub = None
            try:
                # A cluster client learns the slots with its first command, and its pub/sub
                # picks the node to listen on by them (any node hears every PUBLISH).
                await self.redis.ping()
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.psubscribe(prefix + "*")
                if ready is not None:
                    ready.set()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    channel, data = str(message["channel"]), str(message["data"])
                    try:
                        await deliver(channel[len(prefix) :], data)
                    except Exception:
                        log.exception("could not push a web chat frame")
            except Exception as error:
                if (more := quiet.due(time.monotonic())) is not None:
                    log.warning(
                        "listening for the web chat's frames: %s; subscribing again%s", error, more
                    )
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
            await asyncio.sleep(1.0)
