"""A web chat socket whose frame met a stalled or stopped Redis logged "the web chat socket
failed" with the whole redis-py traceback, each time, where a refused request says a store
failure in one line every few seconds. The socket says it in that line now."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from bench.procs import Child
from tests.conftest import BotFactory
from tests.test_webchat import open_chat


async def test_a_socket_closed_by_a_store_failure_says_it_in_one_line(
    make_bot: BotFactory, private_redis_server: Child, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(whatsapp=False, redis_url=private_redis_server.url)
    socket, _ = await open_chat(bot)
    private_redis_server.stop()
    caplog.clear()
    await socket.send_json({"type": "message", "id": "m1", "text": "hello?"})
    closing = await socket.receive(timeout=15)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert socket.close_code == aiohttp.WSCloseCode.INTERNAL_ERROR
    said = [r for r in caplog.records if r.name.startswith("bot.http")]
    assert [r.levelno for r in said] == [logging.WARNING], [r.getMessage() for r in said]
    assert "closed a socket (1011): the store failed" in said[0].getMessage()
    assert said[0].exc_info is None
