"""On the embedded store the one process works every shard, and each write wakes every
shard's blocking reads: ``SWITCHBOARD_SHARDS=1024`` (README allows it) had an idle bot
take a whole core and answer the web chat in 4.5 s. The embedded store works 64 at most,
and says so."""

from __future__ import annotations

import logging

import pytest

from bot.runtime import EMBEDDED_SHARDS
from tests.conftest import BotFactory


async def test_the_embedded_store_works_a_bounded_number_of_shards(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(redis_url="", shards=1024)
    assert bot.runtime.settings.shards == EMBEDDED_SHARDS == 64
    assert bot.runtime.workers.shards == 64 and bot.runtime.inbound_log.shards == 64
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "SWITCHBOARD_SHARDS=1024 on the embedded store: its one process works 64" in s for s in said
    )
    assert (await bot.client.get("/healthz")).status == 200
