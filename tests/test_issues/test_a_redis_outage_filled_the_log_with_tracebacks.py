"""A Redis outage of a few seconds filled the log with tracebacks: every shard's worker
logged "a batch failed" with its whole trace at each redo, about 16 a second (62 in a
6 s outage, 75 in seconds for a changed password). README: the log says a store failure
in one line every 5 s, with how many more, not a traceback each time."""

from __future__ import annotations

import logging

import pytest
from redis.asyncio import Redis

from bot.core.ingest import shard_of
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_shard_workers_store_outage import (
    USER,
    private_redis,
    redone_past_the_attempts,
)

__all__ = ["private_redis"]


async def test_a_store_failing_the_batches_is_said_in_a_line_every_5_s(
    private_redis: tuple[Redis, str], make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    admin, url = private_redis
    bot = await make_bot(redis_url=url)
    prefix = bot.runtime.settings.key_prefix
    all_but_ids = [f"{prefix}[^i]*", f"{prefix}i[^d]*", f"{prefix}id[^:]*"]
    await admin.acl_setuser(USER, enabled=True, reset_keys=True, keys=all_but_ids)
    customer = "447911000103"
    with caplog.at_level(logging.INFO, logger="bot.core.workers"):
        await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, customer, "hi"))
        shard = shard_of(bot.conversation(customer), bot.runtime.settings.shards)
        await redone_past_the_attempts(admin, bot.runtime.inbound_log.key(shard))
    await admin.acl_setuser(USER, enabled=True, reset_keys=True, keys=["*"])
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failed, "the outage is said"
    assert all(r.exc_info is None for r in failed), "no traceback for the store's failure"
    assert len(failed) <= 3, [r.getMessage() for r in failed]
    assert "the store failed" in failed[0].getMessage()
