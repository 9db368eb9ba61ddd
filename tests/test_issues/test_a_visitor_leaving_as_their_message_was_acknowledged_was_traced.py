"""A web chat visitor who closed the page (or lost the network) right after sending a
message made the bot log an error with a 15-line traceback ("Cannot write to closing
transport"), at every such leave and with no limit: any client could fill the log, and
nothing had gone wrong (the message was kept). A visitor gone as they are answered is
what happens: no error is logged."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import urllib.request
from http.cookiejar import CookieJar

from redis.asyncio import Redis

from bot.model import Identity, conversation_id
from stores.redis import Keys
from tests.botprocess import BotProcess
from tests.conftest import REDIS_URL

LEAVES = 10


def masked_text(payload: bytes) -> bytes:
    """A client's text frame (masked, as a browser's are)."""
    mask = os.urandom(4)
    return (
        bytes([0x81, 0x80 | len(payload)])
        + mask
        + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )


def visitor_cookie(url: str) -> tuple[str, str]:
    """The cookie header the chat page sets, and the visitor id in it."""
    jar = CookieJar()
    urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(url + "/").read()
    (visitor,) = [c.value for c in jar if c.value and len(c.value) >= 16][:1] or [""]
    return "; ".join(f"{c.name}={c.value}" for c in jar), str(visitor)


def send_and_vanish(port: int, cookie: str, n: int) -> None:
    """Open the socket, read the history, send a message, then reset the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        key = base64.b64encode(os.urandom(16)).decode()
        raw.sendall(
            (
                "GET /webchat/socket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        got = b""
        while b"history" not in got:
            got += raw.recv(65536)
        raw.sendall(masked_text(b'{"type":"message","id":"gone%d","text":"hi there"}' % n))
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def test_a_visitor_gone_as_they_are_answered_is_no_error(
    prefix: str, real_redis: Redis
) -> None:
    bot = BotProcess({"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": prefix})
    try:
        await asyncio.to_thread(bot.start)
        cookie, visitor = await asyncio.to_thread(visitor_cookie, bot.url)
        for n in range(LEAVES):
            await asyncio.to_thread(send_and_vanish, bot.port, cookie, n)
        # Kept, each of them: the bot was done with every message when it answered it.
        log = Keys(prefix).conversation(
            conversation_id("web:site", Identity("vid", visitor)), "log"
        )
        async with asyncio.timeout(20):
            while True:
                if await real_redis.llen(log) >= LEAVES:
                    break
                await asyncio.sleep(0.05)
        output = bot.output()
    finally:
        bot.close()
    assert '"level":"error"' not in output, output[-3000:]
    assert "Traceback" not in output
