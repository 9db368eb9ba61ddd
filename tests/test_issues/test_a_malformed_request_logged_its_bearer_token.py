"""aiohttp's server logged each malformed request it refused at ERROR, with a traceback
quoting the raw bytes: a request whose ``Authorization`` header carried an API token and
a stray NUL put the whole token in the logs (REL-5), and a request line past 8,190 bytes
its query. Any caller could also fill the logs with tracebacks. Such a request is still
refused with 400; its line is INFO, names the refusal and quotes none of the bytes."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import urlsplit

from tests.botprocess import BotProcess
from tests.test_crash import wait_until
from tests.whatsapp_process import WhatsAppSetup, json_lines


async def raw_request(url: str, head: bytes) -> bytes:
    """The status line of the answer to these very bytes."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(head)
    await writer.drain()
    status = await reader.readline()
    writer.close()
    return status


async def test_a_malformed_request_is_refused_and_logged_without_its_bytes(
    whatsapp: WhatsAppSetup,
) -> None:
    token = "sbt_" + secrets.token_urlsafe(32)
    marker = secrets.token_hex(12)
    bot = BotProcess({**whatsapp.env, "LOG_FORMAT": "json"}, whatsapp.config)
    await asyncio.to_thread(bot.start)
    try:
        heads = [
            b"GET /v1/numbers HTTP/1.1\r\nHost: bot\r\nAuthorization: Bearer "
            + token.encode()
            + b"\x00\r\n\r\n",
            b"GET /webhooks/whatsapp?hub.mode=subscribe&q="
            + marker.encode() * 700
            + b" HTTP/1.1\r\nHost: bot\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: bot\r\nX-" + marker.encode() + b": a\x01b\r\n\r\n",
        ]
        for head in heads:
            assert (await raw_request(bot.url, head)).split()[1] == b"400"

        async def logged() -> str:
            told = bot.output().count('"logger":"aiohttp.server"')
            return "" if told >= len(heads) else f"{told} of the refusals"

        await wait_until(logged, timeout=10)
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
    output = bot.output()
    bot.close()
    assert token not in output and token[4:20] not in output
    assert marker not in output
    lines = json_lines(output)
    refusals = [line for line in lines if line["logger"] == "aiohttp.server"]
    assert len(refusals) == len(heads)
    assert all(line["level"] == "info" and "exception" not in line for line in refusals)
    assert not [line for line in lines if line["level"] in ("error", "critical")]
