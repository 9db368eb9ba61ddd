"""While Redis was out of reach, the one reader of the event logs behind the live views'
streams logged the whole traceback of the store's failure every two seconds, for as long
as a live view was open: an outage the rest of the bot says in one line was pages of
log. It is one line now, at most every few seconds; a bug is still traced."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bench.procs import Child
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_live import live_token, read_events

TAIL = "bot.api.live_tail"


async def test_a_store_outage_under_a_live_stream_is_one_line(
    make_bot: BotFactory, private_redis_server: Child, caplog: pytest.LogCaptureFixture
) -> None:
    shared = await shared_number(make_bot, redis_url=private_redis_server.url)
    token = await live_token(shared, "sales")
    caplog.set_level(logging.WARNING, logger=TAIL)
    client = shared.bot.client
    async with client.get("/live/api/stream", params={"token": token}) as stream:
        assert await read_events(stream, 1) == [("ready", "{}")]
        private_redis_server.stop()
        try:
            for _ in range(200):  # the reader polls four times a second
                if any(r.name == TAIL for r in caplog.records):
                    break
                await asyncio.sleep(0.1)
            said = [r for r in caplog.records if r.name == TAIL]
            assert said, "the outage was not said"
            assert said[0].exc_info is None, said[0].getMessage()
            assert "the store failed" in said[0].getMessage()
        finally:
            await asyncio.to_thread(private_redis_server.start)
