"""A Redis outage had one process log about five lines a second (164 in a 30 s outage):
each shard's lease renewal, the fan-out, the scheduler and the pub/sub listeners said
every retry, where README promises a store failure in one line. A part that keeps
failing on the store says so once every ``QUIET_SECONDS``, with how many were kept
quiet; a bug is still traced every time."""

from __future__ import annotations

import logging

import pytest

import bot.core.retry
from bot.core.retry import log_failure
from stores.redis import StoreError


def _fail(log: logging.Logger, error: Exception, shard: int) -> None:
    try:
        raise error
    except Exception:
        log_failure(log, "could not renew the lease of shard %d", shard)


def test_a_store_that_keeps_failing_is_said_once_in_a_while(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = logging.getLogger("test.outage.quiet")
    for shard in range(40):  # every shard's renewal, round after round
        _fail(log, StoreError("Error 111 connecting to 127.0.0.1:6379"), shard % 8)
    (said,) = caplog.records
    assert said.getMessage().startswith("could not renew the lease of shard 0 (the store failed")

    monkeypatch.setattr(bot.core.retry, "QUIET_SECONDS", 0.0)
    monkeypatch.setattr(bot.core.retry, "_quiet", {})
    _fail(log, StoreError("Error 111"), 3)
    _fail(log, KeyError("a bug"), 4)
    store, bug = caplog.records[1:]
    assert store.getMessage().startswith("could not renew the lease of shard 3")
    assert bug.exc_info is not None  # a bug: traced, every time
