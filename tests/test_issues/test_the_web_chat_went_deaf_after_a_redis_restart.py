"""After a Redis restart, no web chat visitor of a running process got a reply or the
echo of their own message again: the listener of the web chat's frames ended with the
lost connection and was never started again, while /readyz said all was well. It
subscribes again now, as the other listeners do."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.procs import Child
from stores.live import LiveChannel
from stores.redis import Keys
from tests.botprocess import free_port


async def heard_after(channel: LiveChannel, got: asyncio.Event, frame: str) -> None:
    """Publish ``frame`` until the listener hears it (it subscribes again within seconds)."""
    async with asyncio.timeout(20):
        while True:
            got.clear()
            with contextlib.suppress(RedisConnectionError, OSError):
                await channel.publish("visitor", frame)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(got.wait(), timeout=0.5)
                return


async def test_frames_are_heard_again_after_redis_restarts(tmp_path: Path) -> None:
    port = free_port()
    server = Child.redis_server(tmp_path, port)
    await asyncio.to_thread(server.start)
    redis = Redis.from_url(server.url, decode_responses=True)
    channel = LiveChannel(redis, Keys("test:live:"))
    heard: list[tuple[str, str]] = []
    got, ready = asyncio.Event(), asyncio.Event()

    async def deliver(visitor: str, frame: str) -> None:
        heard.append((visitor, frame))
        got.set()

    listening = asyncio.create_task(channel.listen(deliver, ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=10)
        await heard_after(channel, got, "before")
        server.stop()
        server = Child.redis_server(tmp_path, port)
        await asyncio.to_thread(server.start)
        await heard_after(channel, got, "after")
        assert ("visitor", "after") in heard
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        await redis.aclose()
        server.stop()
    assert listening.cancelled()  # it never ended on its own
