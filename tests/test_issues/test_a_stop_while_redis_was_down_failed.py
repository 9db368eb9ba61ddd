"""A bot stopped (SIGTERM, a deploy) while Redis was out of reach failed its stop with a
traceback, letting go of its shard leases, and closed nothing after that: its web chat
sockets, HTTP session and store stayed open. Leases it cannot let go of lapse on their own."""

from __future__ import annotations

import pytest

from bench.procs import Child
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


async def test_a_bot_stops_whole_while_its_redis_is_down(
    make_bot: BotFactory, private_redis_server: Child, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(redis_url=private_redis_server.url)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447700900501", "hi"))
    await bot.settle()
    assert bot.runtime.workers.tasks  # it holds shards
    private_redis_server.stop()
    await bot.stop()  # raised, and closed nothing after the leases
    assert any("could not let go of the shard leases" in r.getMessage() for r in caplog.records)
