"""A bearer token with bytes that are not UTF-8 was answered 503 (the token could not be
encoded for the comparison); it is an unknown token: 401."""

from __future__ import annotations

import asyncio

from tests.conftest import BotFactory


async def raw_get(host: str, port: int, path: str, authorization: bytes) -> tuple[int, bytes]:
    """A GET sent byte for byte, since HTTP clients refuse to send such a header."""
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n".encode()
        + b"Authorization: "
        + authorization
        + b"\r\n\r\n"
    )
    writer.write(request)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


async def test_a_token_of_bytes_that_are_not_utf8_is_refused_with_401(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    server = bot.client.server
    host, port = str(server.host), int(server.port or 0)
    for token in (b"Bearer \xff\xfe\xfd", b"Bearer sbt_\xc3\x28", b"Bearer \x80" * 3):
        status, body = await raw_get(host, port, "/v1/numbers", token)
        assert status == 401, (token, body)
        assert b'"error"' in body
    status, _ = await raw_get(host, port, "/v1/numbers", b"Bearer not-a-token")
    assert status == 401
