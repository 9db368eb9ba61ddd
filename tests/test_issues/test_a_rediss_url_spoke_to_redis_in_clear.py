"""``REDIS_URL=rediss://...`` (the README's "over TLS") spoke to Redis in clear: the pool
was given the counting connection class, which took the place of the TLS one the URL
names, so the bot served against a plain Redis and sent it everything unencrypted. A
``unix://`` URL was no better off. Each scheme now gets its own connection, counted."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as sync_redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from stores.redis import connect
from tests.botprocess import free_port
from tests.conftest import REDIS_URL

NO_RETRY = Retry(NoBackoff(), 0)
"""A probe asks once a time: it is asked again until the server is up."""


@contextlib.contextmanager
def redis_server(*argv: str, ready: sync_redis.Redis) -> Iterator[None]:
    process = subprocess.Popen(
        ["redis-server", "--save", "", "--appendonly", "no", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(RedisConnectionError):
                if ready.ping():
                    break
            if process.poll() is not None:
                pytest.skip("this redis-server cannot serve so")
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(10)


def test_rediss_speaks_tls_and_refuses_a_redis_that_does_not(tmp_path: Path) -> None:
    if shutil.which("openssl") is None or shutil.which("redis-server") is None:
        pytest.skip("needs openssl and redis-server")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    tls = ["--port", "0", "--tls-port", str(port), "--tls-auth-clients", "no"]
    tls += ["--tls-cert-file", str(cert), "--tls-key-file", str(key)]
    probe = sync_redis.Redis(port=port, ssl=True, ssl_ca_certs=str(cert), retry=NO_RETRY)
    with redis_server(*tls, ready=probe):

        async def over_tls() -> None:
            client = connect(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}")
            assert await client.set("over", "tls")
            assert await client.get("over") == "tls"
            await client.aclose()

        asyncio.run(over_tls())

    async def plain() -> None:  # the machine's Redis speaks no TLS: never in clear
        url = REDIS_URL.replace("redis://", "rediss://") + "?socket_connect_timeout=1"
        client = connect(url)  # the handshake waits for a TLS answer that never comes
        with pytest.raises((RedisConnectionError, RedisTimeoutError)):
            await client.ping()
        await client.aclose()

    asyncio.run(plain())


def test_unix_speaks_over_its_socket(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    socket = tmp_path / "redis.sock"
    probe = sync_redis.Redis(unix_socket_path=str(socket), retry=NO_RETRY)
    with redis_server("--port", "0", "--unixsocket", str(socket), ready=probe):

        async def over_the_socket() -> None:
            client = connect(f"unix://{socket}?db=0")
            assert await client.set("over", "the socket")
            await client.aclose()

        asyncio.run(over_the_socket())
        assert probe.get("over") == b"the socket"
