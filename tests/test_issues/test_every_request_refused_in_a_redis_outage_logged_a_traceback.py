"""While Redis was down, every webhook and API call answered 503, as it should, and each
logged a traceback of the whole redis-py stack (3.4 kB): 1,734 of them in 8 s at 100
messages a second. A request refused because the store failed is said in one line every
few seconds now, with how many there were; a bug still logs its traceback."""

from __future__ import annotations

import logging

import pytest

from bench.procs import Child
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


async def test_an_outage_is_said_without_tracebacks(
    make_bot: BotFactory, private_redis_server: Child, caplog: pytest.LogCaptureFixture
) -> None:
    server = private_redis_server
    bot = await make_bot(redis_url=server.url)
    server.stop()
    caplog.clear()
    for n in range(20):
        hook = meta.text_message(PHONE_NUMBER_ID, f"4479110077{n:02d}", "hi")
        assert (await bot.post_whatsapp(hook)).status == 503
    said = [r for r in caplog.records if r.name == "bot.http.app"]
    assert 1 <= len(said) <= 4, [r.getMessage() for r in said]  # a line in 5 s at most
    for record in said:
        assert record.levelno == logging.WARNING and record.exc_info is None
        assert "answered 503: the store failed" in record.getMessage()
    assert not [r for r in caplog.records if r.name == "bot.http.app" and r.exc_info]
