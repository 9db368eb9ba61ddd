"""A request with a 2 MB gzip body (2 GB of spaces once inflated), with no credentials,
to any route was answered at once, and then inflated on the event loop all the same:
every other request waited (``/healthz`` for 7 s under four of them), the providers'
webhooks among them. A compressed body is refused (415) unread, its connection closed,
and never inflated: it costs the process next to nothing."""

from __future__ import annotations

import functools
import os
import socket
import zlib
from collections.abc import Iterator

import pytest

from tests.botprocess import BotProcess


@functools.cache
def _bomb() -> bytes:
    """512 MB of spaces in 0.5 MB of gzip: seconds of CPU to inflate."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip
    spaces = b" " * (64 * 1024 * 1024)
    packed = b"".join(packer.compress(spaces) for _ in range(8))
    return packer.compress(b"[") + packed + packer.flush()


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _post(port: int, path: str, body: bytes) -> bytes:
    """The answer's head and body; the connection closed by the server or after 30 s."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            sock.sendall(body)
        except OSError:  # refused before it was all sent, and closed
            pass
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.fixture(scope="module")
def bot() -> Iterator[BotProcess]:
    with BotProcess() as process:
        yield process


@pytest.mark.parametrize("path", ["/t/events", "/webhooks/whatsapp", "/v1/notifications"])
def test_a_compressed_body_is_refused_and_never_inflated(bot: BotProcess, path: str) -> None:
    bomb = _bomb()
    pid = bot.process.pid
    before = _cpu_seconds(pid)
    answer = _post(bot.port, path, bomb)
    assert answer.startswith(b"HTTP/1.1 415"), answer[:200]
    assert b"Content-Encoding" in answer
    # Inflating it takes seconds of CPU; refusing it, a few milliseconds.
    assert _cpu_seconds(pid) - before < 0.5
