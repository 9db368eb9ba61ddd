"""Nothing bounded the event streams one live view token could open: a client holding a
live URL (an iframe's address, which a browser, a proxy or a log may keep) opened
hundreds of ``/live/api/stream`` connections, until the process had no file left to
open; the providers' webhooks, ``/readyz`` and the process's own Redis connections then
failed ("Too many open files"). A token now holds at most 16 streams at once in a
process (an agent's tabs), as a web chat visitor holds 16 chats; the next is refused
with 429 until one closes, and other tokens are not held back."""

from __future__ import annotations

import contextlib

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_live import live_token, read_events


async def test_a_token_holds_at_most_16_streams(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared, "sales")
    client = shared.bot.client
    async with contextlib.AsyncExitStack() as held:
        for _ in range(16):
            stream = await held.enter_async_context(
                client.get("/live/api/stream", params={"token": token})
            )
            assert stream.status == 200
            assert await read_events(stream, 1) == [("ready", "{}")]
        async with client.get("/live/api/stream", params={"token": token}) as refused:
            assert refused.status == 429
            assert "16" in (await refused.json())["error"]
        other = await live_token(shared, "sales", agent="bob")  # not held back by alice
        async with client.get("/live/api/stream", params={"token": other}) as stream:
            assert stream.status == 200
    # Closed, the token's streams are free again.
    async with client.get("/live/api/stream", params={"token": token}) as stream:
        assert stream.status == 200
        assert await read_events(stream, 1) == [("ready", "{}")]
