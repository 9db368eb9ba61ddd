"""The web chat's socket took the visitor cookie from any page: a browser sends a
SameSite=Lax cookie from every page of the same site (another subdomain, another port of
the host), and such a page could read the visitor's whole chat and write as them. The
socket now takes the cookie only from our own pages, as the file route did; and "our own"
now includes the host the page was opened at, so the chat at http://localhost:PORT may
send files though PUBLIC_URL says 127.0.0.1."""

from __future__ import annotations

import aiohttp

from tests.conftest import BotFactory
from tests.test_webchat import open_chat


async def test_only_our_own_pages_open_the_chat_with_the_cookie(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "my card is 4111"})
    await socket.receive_json(timeout=5)
    await socket.close()
    port = bot.client.port
    for foreign in ("http://evil.example", f"http://127.0.0.1:{port + 1}", "null"):
        try:
            hijack = await bot.client.ws_connect("/webchat/socket", origin=foreign)
        except aiohttp.WSServerHandshakeError as refused:
            assert refused.status == 403
        else:
            await hijack.close()
            raise AssertionError(f"{foreign} opened the visitor's chat")
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):  # the page's host, as sent
        mine = await bot.client.ws_connect(
            "/webchat/socket", origin=f"http://{host}", headers={"Host": host}
        )
        # Opened: its history comes, unless the bot's reply to the first tab's message
        # reaches this socket a moment before it.
        assert (await mine.receive_json(timeout=5))["type"] in ("history", "message")
        await mine.close()
    upload = await bot.client.post(
        "/webchat/files?id=f1&filename=note.txt",
        data=b"hello",
        headers={
            "Origin": f"http://localhost:{port}",
            "Host": f"localhost:{port}",
            "Content-Type": "text/plain",
        },
    )
    assert upload.status == 201, await upload.text()
