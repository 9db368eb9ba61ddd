"""One web chat socket that stopped reading (a tab frozen, a client that reads nothing)
froze every visitor's chat on the process: the one listener that pushes frames to the
sockets waited for that socket's buffer to drain, so everyone else got their acks and no
reply, for as long as the socket stayed open. Now each socket is written by a task of its
own, and one that lets 256 frames pile up is closed."""

from __future__ import annotations

import asyncio
import base64
import os
import socket

import aiohttp

from adapters.webchat import Pace
from tests.conftest import BotFactory
from tests.test_webchat import next_message, open_chat

FLOOD = 3000
TEXT = "x" * 4000


async def test_a_socket_that_reads_nothing_holds_back_no_other_visitor(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False)
    # A flood from one visitor: its pace is not what this is about.
    bot.runtime.web_hub.messages = Pace(per_second=1e6, burst=10**6)
    first, _ = await open_chat(bot)
    cookie = "; ".join(f"{c.key}={c.value}" for c in bot.client.session.cookie_jar)
    stuck = await stuck_socket(bot.client.make_url("/").host or "", bot.client.port, cookie)
    sender = await bot.client.ws_connect("/webchat/socket")
    await sender.receive_json(timeout=5)

    async def drain() -> None:
        async for _ in sender:
            pass

    draining = asyncio.create_task(drain())
    for n in range(FLOOD):  # each is pushed to the stuck tab too
        await sender.send_json({"type": "message", "id": f"f{n}", "text": TEXT})
    # Every one of them processed, and pushed (or not) before the other visitor comes.
    await bot.sinks["support"].wait_for_count(FLOOD, type="message.inbound", timeout=60)
    jar = aiohttp.CookieJar(unsafe=True)  # the cookie of an IP address
    async with aiohttp.ClientSession(base_url=bot.client.make_url("/"), cookie_jar=jar) as other:
        page = await other.get("/")
        assert page.status == 200
        async with other.ws_connect("/webchat/socket") as socket:
            await socket.receive_json(timeout=5)
            await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
            welcome = await asyncio.wait_for(next_message(socket), 10)
            assert welcome["text"] == "Welcome! How can we help?"
    draining.cancel()
    await sender.close()
    await first.close()
    stuck.close()


async def stuck_socket(host: str, port: int | None, cookie: str) -> socket.socket:
    """A web chat socket of the visitor that reads nothing after its handshake, with a
    receive buffer of 4 KiB: a frozen tab."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(raw, (host, port or 80))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /webchat/socket HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
    )
    await loop.sock_sendall(raw, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(raw, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return raw
