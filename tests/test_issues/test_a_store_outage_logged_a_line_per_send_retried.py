"""A Redis Cluster failing over during a campaign logged 135 lines of "the store failed
(ConnectionError); trying again" in three seconds: each send in flight said each retry of
its record, where every other part that retries on the store says so once every 10 s
with how many it kept quiet."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.core.retry import retrying
from bot.core.sender import store_backoff
from stores.redis import StoreError
from tests.botprocess import free_port

SENDS = 40


async def test_sends_retrying_on_a_store_out_of_reach_say_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nobody listens there; redis-py's own retries are left out, ours are under test.
    redis = Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    try:
        with caplog.at_level(logging.WARNING, logger="bot.core.sender"):
            outcomes = await asyncio.gather(
                *(retrying(redis.ping, attempts=3, backoff=store_backoff) for _ in range(SENDS)),
                return_exceptions=True,
            )
    finally:
        await redis.aclose()
    assert all(isinstance(outcome, StoreError) for outcome in outcomes)
    said = [r.getMessage() for r in caplog.records if "the store failed" in r.getMessage()]
    assert len(said) <= 1, said  # none when another test said it within the 10 s
