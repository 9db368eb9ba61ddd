"""A team command (or ``admin …``) whose store failed under it (Redis restarting, a
cluster's node failing over) was logged with its whole traceback and answered "That
failed on our side", as a bug is: 67 lines for one ``admin inbox``. It is one line now,
and the answer says the store is out of reach; a bug is still traced."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bench.procs import Child
from handlers.commands import Caller
from tests.conftest import BotFactory

AGENT = Caller("bob@example.com", "agent")


async def test_a_store_failure_under_a_command_is_one_line(
    make_bot: BotFactory, private_redis_server: Child, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(redis_url=private_redis_server.url)
    private_redis_server.stop()
    try:
        caplog.set_level(logging.WARNING, logger="handlers.commands")
        answer = await bot.runtime.commands.run(AGENT, "/inbox")
        assert answer == "The store is out of reach just now; try again in a moment."
        (said,) = [r for r in caplog.records if r.name == "handlers.commands"]
        assert said.getMessage().startswith("/inbox failed: the store failed (")
        assert said.exc_info is None
    finally:
        await asyncio.to_thread(private_redis_server.start)
