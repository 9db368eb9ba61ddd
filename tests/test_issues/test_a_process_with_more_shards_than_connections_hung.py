"""``SWITCHBOARD_SHARDS=80`` (the README allows up to 1,024) with one process: its shards'
blocking reads, two a shard, took all 128 of its Redis connections, and everything else
waited for one: ``/readyz``, the API and the webhooks hung, and nothing said why. Now a
process works at most 48 shards and says, once, that the rest wait for more processes;
when a second one starts, it takes them, and every message goes out."""

from __future__ import annotations

import asyncio

from tests.botprocess import BotProcess
from tests.whatsapp_process import WhatsAppSetup, json_lines, post_messages

SHARDS = 80
MESSAGES = 24


async def test_a_process_works_what_its_connections_allow_and_says_the_rest_waits(
    whatsapp: WhatsAppSetup,
) -> None:
    env = {**whatsapp.env, "LOG_FORMAT": "json", "SWITCHBOARD_SHARDS": str(SHARDS)}
    first = BotProcess(env, whatsapp.config)
    second: BotProcess | None = None
    try:
        await asyncio.to_thread(first.start)  # /readyz answers: it waited for ever before
        await post_messages(first, whatsapp, MESSAGES)  # every webhook is taken
        said = [
            line
            for line in json_lines(first.output())
            if line["level"] == "error" and "SWITCHBOARD_SHARDS=80" in line["event"]
        ]
        assert len(said) == 1, first.output()
        assert "at most 48 shards" in said[0]["event"]
        assert "until 2 processes run" in said[0]["event"]
        second = BotProcess(env, whatsapp.config)
        await asyncio.to_thread(second.start)
        await whatsapp.sink.wait_for_count(MESSAGES, "message.inbound", timeout=30)
    finally:
        for bot in (first, second):
            if bot is not None:
                await asyncio.to_thread(bot.close)
