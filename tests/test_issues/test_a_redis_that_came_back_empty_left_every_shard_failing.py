"""A Redis without persistence restarted under a running bot came back empty: the
webhooks were answered 200 and appended (XADD makes the stream), but every shard's read
failed with NOGROUP, with a traceback, sixteen times a second, for ever, and nothing
acknowledged was worked until the bot restarted (REL-1). The group is made again now,
and what was appended is worked."""

from __future__ import annotations

import asyncio

import pytest

from bench.procs import Child
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


async def test_messages_after_an_empty_restart_are_worked(
    make_bot: BotFactory, private_redis_server: Child, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(redis_url=private_redis_server.url)
    sink = bot.sinks["support"]
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447700901001", "before"))
    await sink.wait_for_count(1, type="message.inbound")
    private_redis_server.stop()  # no persistence: it comes back empty
    await asyncio.to_thread(private_redis_server.start)
    async with asyncio.timeout(20):
        while True:  # taken once the clients have reconnected
            answer = await bot.post_whatsapp(
                meta.text_message(bot.phone_number_id, "447700901002", "after")
            )
            if answer.status == 200:
                break
            await asyncio.sleep(0.2)
    await sink.wait_for_count(2, type="message.inbound", timeout=20)
    texts = [event["data"]["message"]["text"] for event in sink.events("message.inbound")]
    assert texts[-1] == "after"
    assert any("made again" in r.getMessage() for r in caplog.records)
