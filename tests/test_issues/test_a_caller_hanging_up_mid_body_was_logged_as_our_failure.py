"""A caller that hung up before its body came whole (a webhook cut off mid-way) was logged
as a failure of ours: an ERROR line with a traceback, "POST /webhooks/whatsapp failed",
which pages an operator for what the caller did. It is an INFO line now, with no
traceback, and the access log says 400."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from tests.botprocess import BotProcess
from tests.test_crash import wait_until
from tests.whatsapp_process import WhatsAppSetup, json_lines


async def test_a_caller_that_hangs_up_mid_body_is_no_error_of_ours(
    whatsapp: WhatsAppSetup,
) -> None:
    bot = BotProcess({**whatsapp.env, "LOG_FORMAT": "json"}, whatsapp.config)
    await asyncio.to_thread(bot.start)
    try:
        address = urlsplit(bot.url)
        _, writer = await asyncio.open_connection(address.hostname, address.port)
        writer.write(
            b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: bot\r\n"
            b"Content-Type: application/json\r\nX-Hub-Signature-256: sha256=00\r\n"
            b"X-Request-Id: cut-off-1\r\nContent-Length: 5000\r\n\r\n"
            b'{"object": "whatsapp_business_account", "entry": ['
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

        async def logged() -> str:
            return "" if '"request_id":"cut-off-1"' in bot.output() else "its access line"

        await wait_until(logged, timeout=10)
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
    lines = json_lines(bot.output())
    bot.close()
    cut = [line for line in lines if line.get("request_id") == "cut-off-1"]
    assert [(line["level"], line["event"]) for line in cut] == [
        ("info", "POST /webhooks/whatsapp: the caller closed the connection"),
        ("info", "POST /webhooks/whatsapp 400"),
    ]
    assert not [line for line in lines if line["level"] in ("error", "critical")]
