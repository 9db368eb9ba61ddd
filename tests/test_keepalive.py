"""The fan-out's HTTP client (adapters/keepalive.py) against servers that answer well,
badly, hostilely or not at all: what a service's webhook endpoint can do."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from adapters.keepalive import MAX_BODY, MAX_KEPT, Answer, KeepAlivePoster, PostFailed
from tests.emulators.sink import SubscriberSink, signature_header

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class RawServer:
    """A TCP server whose every connection runs ``script``; it counts connections and
    requests, and keeps what each request held."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.closed = 0
        self.requests: list[bytes] = []
        self.url = ""
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Condition()

    async def until(self, ready: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait for ``ready()`` to hold, as connections open, carry requests and close."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(ready)

    async def _changes(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hook?x=1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        """One whole request (Content-Length bodies), or b'' at the end of the connection."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return b""
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        request = head + await reader.readexactly(length)
        self.requests.append(request)
        await self._changes()
        return request

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.script(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self.closed += 1
            await self._changes()


@pytest.fixture
async def poster() -> AsyncIterator[KeepAlivePoster]:
    client = KeepAlivePoster()
    yield client
    await client.close()


def answering(*answers: bytes, requests: int = 100) -> Callable[[RawServer], Script]:
    """A script answering each request on a connection with the next of ``answers`` (the
    last one again once they run out), for at most ``requests`` requests."""

    def make(server: RawServer) -> Script:
        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for index in range(requests):
                if not await server.read_request(reader):
                    return
                writer.write(answers[min(index, len(answers) - 1)])
                await writer.drain()

        return script

    return make


def held_until(release: asyncio.Event) -> Callable[[RawServer], Script]:
    """A script answering each request with 200 once ``release`` is set."""

    def make(server: RawServer) -> Script:
        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while await server.read_request(reader):
                await release.wait()
                writer.write(OK)
                await writer.drain()

        return script

    return make


def dropping_the_second(first: bytes) -> Callable[[RawServer], Script]:
    """A script answering a connection's first request with ``first``, then closing it
    on the second without a byte of answer; later connections are answered ``first``."""

    def make(server: RawServer) -> Script:
        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while await server.read_request(reader):
                writer.write(first)
                await writer.drain()
                if server.connections == 1:
                    await server.read_request(reader)  # the second: closed unanswered
                    return

        return script

    return make


@contextlib.asynccontextmanager
async def raw_server(make: Callable[[RawServer], Script]) -> AsyncIterator[RawServer]:
    server = RawServer(lambda reader, writer: asyncio.sleep(0))
    server.script = make(server)
    async with server:
        yield server


async def test_a_post_carries_its_headers_and_body_and_reuses_its_connection(
    poster: KeepAlivePoster,
) -> None:
    secret = "s" * 32
    sink = SubscriberSink(secret)
    async with sink:
        for index in range(5):
            body = b'{"id":"evt_%d"}' % index
            headers = {
                "Content-Type": "application/json",
                "Switchboard-Signature": signature_header(secret, body),
                "Switchboard-Event-Id": f"evt_{index}",
            }
            assert (await poster.post(sink.url, headers, body, 5)).status == 200
    assert [d.event_id for d in sink.deliveries] == [f"evt_{i}" for i in range(5)]
    assert sink.rejected == []
    async with raw_server(answering(OK)) as server:
        for _ in range(5):
            assert (await poster.post(server.url, {"A": "b"}, b"{}", 5)).status == 200
    assert server.connections == 1
    assert server.requests[0].startswith(b"POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nA: b\r\n" in server.requests[0] and server.requests[0].endswith(b"\r\n\r\n{}")


async def test_any_status_is_an_answer_and_no_redirect_is_followed(
    poster: KeepAlivePoster,
) -> None:
    def make(server: RawServer) -> Script:
        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while request := await server.read_request(reader):
                status = int(request.split(b"status=", 1)[1][:3])
                writer.write(
                    b"HTTP/1.1 %d Any\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n" % status
                )
                await writer.drain()

        return script

    async with raw_server(make) as server:
        for status in (200, 202, 204, 301, 302, 307, 400, 404, 410, 500, 503):
            url = server.url.replace("?x=1", f"?status={status}")
            assert (await poster.post(url, {}, b"{}", 5)).status == status
    assert server.connections == 1 and len(server.requests) == 11


async def test_chunked_and_interim_answers_are_read_whole(poster: KeepAlivePoster) -> None:
    chunked = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + OK
    async with raw_server(answering(chunked, interim, OK)) as server:
        assert [(await poster.post(server.url, {}, b"{}", 5)).status for _ in range(3)] == [
            201,
            200,
            200,
        ]
    assert server.connections == 1


async def test_an_answer_that_closes_its_connection_is_not_reused(
    poster: KeepAlivePoster,
) -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    until_close = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthe body ends with"
    async with raw_server(answering(closing, requests=1)) as server:
        for _ in range(3):
            assert (await poster.post(server.url, {}, b"{}", 5)).status == 200
    assert server.connections == 3
    async with raw_server(answering(until_close, requests=1)) as server:
        for _ in range(2):
            assert (await poster.post(server.url, {}, b"{}", 5)).status == 200
    assert server.connections == 2


async def test_a_connection_the_service_closed_while_idle_is_replaced(
    poster: KeepAlivePoster,
) -> None:
    """The service may close a kept-alive connection when it likes (uvicorn after 5 s):
    closed while idle, or closed on the next request without a byte of answer."""
    async with raw_server(answering(OK, requests=1)) as server:
        assert (await poster.post(server.url, {}, b"{}", 5)).status == 200
        await server.until(lambda: server.closed == 1)
        assert (await poster.post(server.url, {}, b"{}", 5)).status == 200

    async with raw_server(dropping_the_second(OK)) as server:
        assert (await poster.post(server.url, {}, b"{}", 5)).status == 200
        assert (await poster.post(server.url, {}, b"{}", 5)).status == 200
    assert server.connections == 2


async def test_a_new_connection_closed_unanswered_fails(poster: KeepAlivePoster) -> None:
    async with raw_server(answering(b"", requests=0)) as server:
        with pytest.raises(PostFailed, match="closed unanswered"):
            await poster.post(server.url, {}, b"{}", 5)
    assert server.connections == 1  # not tried again: the service saw it, or refused it


@pytest.mark.parametrize(
    "answer",
    [
        b"hello\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        b"\x00\xff" * 100,
    ],
)
async def test_an_answer_that_is_not_http_fails_clearly(
    poster: KeepAlivePoster, answer: bytes
) -> None:
    async with raw_server(answering(answer)) as server:
        with pytest.raises(PostFailed, match="not an HTTP answer"):
            await poster.post(server.url, {}, b"{}", 5)
        await server.until(lambda: server.closed == 1)  # the broken connection is not kept


async def test_oversized_answers_are_cut_short(poster: KeepAlivePoster) -> None:
    endless_head = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * 200_000 + b"\r\n\r\n"
    async with raw_server(answering(endless_head)) as server:
        with pytest.raises(PostFailed, match="headers run past"):
            await poster.post(server.url, {}, b"{}", 5)
        await server.until(lambda: server.closed == 1)
    size = 4 * MAX_BODY
    huge = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size
    async with raw_server(answering(huge)) as server:
        assert (await poster.post(server.url, {}, b"{}", 5)).status == 200
        await server.until(lambda: server.closed == 1)  # closed, not read to its end


async def test_a_silent_service_times_out_and_its_connection_is_closed(
    poster: KeepAlivePoster,
) -> None:
    def make(server: RawServer) -> Script:
        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await server.read_request(reader)
            await reader.read()  # never answers; returns when the client closes

        return script

    async with raw_server(make) as server:
        with pytest.raises(TimeoutError):
            await poster.post(server.url, {}, b"{}", 0.3)
        await server.until(lambda: server.closed == 1)


async def test_an_unreachable_service_fails_with_where_it_tried(poster: KeepAlivePoster) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(PostFailed, match=f"cannot connect to 127.0.0.1:{port}"):
        await poster.post(f"http://127.0.0.1:{port}/hook", {}, b"{}", 5)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "http:///hook", "not a url", "http://a b.example/", ""]
)
async def test_a_url_that_is_not_http_is_refused_before_any_connection(
    poster: KeepAlivePoster, url: str
) -> None:
    with pytest.raises(ValueError):
        await poster.post(url, {}, b"{}", 5)


@pytest.mark.parametrize(
    "headers",
    [{"X-Id": "evt\r\nX-Evil: 1"}, {"X-Id": "a\nb"}, {"X-Evil: 1\r\nX": "a"}, {"Nul": "a\0"}],
)
async def test_a_header_that_would_split_the_request_is_refused(
    poster: KeepAlivePoster, headers: dict[str, str]
) -> None:
    async with raw_server(answering(OK)) as server:
        with pytest.raises(ValueError, match="cannot be sent"):
            await poster.post(server.url, headers, b"{}", 5)
    assert server.connections == 0


async def test_at_most_limit_posts_are_in_flight() -> None:
    poster = KeepAlivePoster(limit=2)
    release = asyncio.Event()

    try:
        async with raw_server(held_until(release)) as server:
            posts = [asyncio.create_task(poster.post(server.url, {}, b"{}", 10)) for _ in range(6)]
            await server.until(lambda: len(server.requests) == 2)
            assert server.connections == 2
            release.set()
            assert [answer.status for answer in await asyncio.gather(*posts)] == [200] * 6
            assert server.connections == 2
    finally:
        await poster.close()


async def test_the_wait_for_a_slot_counts_in_the_timeout_and_holds_none() -> None:
    poster = KeepAlivePoster(limit=1)
    release = asyncio.Event()

    try:
        async with raw_server(held_until(release)) as server:
            first = asyncio.create_task(poster.post(server.url, {}, b"{}", 10))
            await server.until(lambda: len(server.requests) == 1)
            with pytest.raises(TimeoutError):
                await poster.post(server.url, {}, b"{}", 0.2)  # never had a slot
            cancelled = asyncio.create_task(poster.post(server.url, {}, b"{}", 10))
            await asyncio.sleep(0)
            cancelled.cancel()
            release.set()
            assert (await first).status == 200
            answers = await asyncio.gather(
                *(poster.post(server.url, {}, b"{}", 5) for _ in range(3))
            )
            assert [answer.status for answer in answers] == [200, 200, 200]
            assert server.connections == 1 and len(server.requests) == 4
    finally:
        await poster.close()


async def test_an_idle_connection_is_closed_after_its_time() -> None:
    poster = KeepAlivePoster(idle_seconds=0.2)
    try:
        async with raw_server(answering(OK)) as server:
            assert (await poster.post(server.url, {}, b"{}", 5)).status == 200
            await server.until(lambda: server.closed == 1)
    finally:
        await poster.close()


@pytest.fixture(scope="module")
def certificate() -> Iterator[tuple[Path, Path]]:
    """A self-signed certificate for 127.0.0.1, made for this run."""
    with tempfile.TemporaryDirectory(prefix="switchboard-tls-") as folder:
        cert, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
        argv = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        argv += ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        subprocess.run(
            [*argv, "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
        yield cert, key


async def test_https_checks_the_certificate(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    server = RawServer(lambda reader, writer: asyncio.sleep(0))
    server.script = answering(OK)(server)
    listening = await asyncio.start_server(server._serve, "127.0.0.1", 0, ssl=served)
    url = f"https://127.0.0.1:{listening.sockets[0].getsockname()[1]}/hook"
    trusting = KeepAlivePoster(ssl_context=ssl.create_default_context(cafile=str(cert)))
    strict = KeepAlivePoster()
    try:
        assert (await trusting.post(url, {}, b"{}", 5)).status == 200
        assert (await trusting.post(url, {}, b"{}", 5)).status == 200
        assert server.connections == 1 and len(server.requests) == 2
        with pytest.raises(PostFailed, match="certificate verify failed"):
            await strict.post(url, {}, b"{}", 5)
    finally:
        await trusting.close()
        await strict.close()
        listening.close()


@pytest.fixture
async def caller() -> AsyncIterator[KeepAlivePoster]:
    client = KeepAlivePoster(keep_answers=True)
    yield client
    await client.close()


async def test_a_call_keeps_its_answers_body_and_retry_after(caller: KeepAlivePoster) -> None:
    sent = b"HTTP/1.1 200 OK\r\nContent-Length: 31\r\n\r\n" + b'{"messages":[{"id":"wamid.1"}]}'
    limited = (
        b"HTTP/1.1 429 Too Many Requests\r\nretry-after:  7 \r\nTransfer-Encoding: chunked\r\n"
        b'\r\n5\r\n{"err\r\n6\r\nor":1}\r\n0\r\n\r\n'
    )
    interim = b"HTTP/1.1 103 Early Hints\r\nRetry-After: 99\r\n\r\n" + OK
    async with raw_server(answering(sent, limited, interim)) as server:
        answers = [await caller.call(server.url, {"A": "b"}, b"{}", 5) for _ in range(3)]
    assert answers == [
        Answer(200, b'{"messages":[{"id":"wamid.1"}]}', None),
        Answer(429, b'{"error":1}', "7"),
        Answer(200, b"ok", None),  # the interim answer's header is not the final one's
    ]
    assert server.connections == 1
    assert b"\r\nA: b\r\n" in server.requests[0] and server.requests[0].endswith(b"\r\n\r\n{}")


async def test_a_call_is_never_sent_twice(caller: KeepAlivePoster) -> None:
    """A message sent is not a request to repeat: a kept-alive connection closed without
    a byte of answer fails the call, where a webhook's POST goes once more."""
    async with raw_server(dropping_the_second(OK)) as server:
        assert (await caller.call(server.url, {}, b"{}", 5)).status == 200
        with pytest.raises(PostFailed, match="closed unanswered"):
            await caller.call(server.url, {}, b"{}", 5)
        assert len(server.requests) == 2 and server.connections == 1
        assert (await caller.call(server.url, {}, b"{}", 5)).status == 200  # a new connection
    assert server.connections == 2


async def test_a_calls_oversized_answer_is_cut_and_its_connection_closed(
    caller: KeepAlivePoster,
) -> None:
    size = 3 * MAX_KEPT
    huge = b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size
    async with raw_server(answering(huge)) as server:
        answer = await caller.call(server.url, {}, b"{}", 5)
        await server.until(lambda: server.closed == 1)
    assert answer.status == 500 and answer.body == b"x" * MAX_KEPT


async def test_only_a_poster_that_keeps_answers_makes_calls(poster: KeepAlivePoster) -> None:
    with pytest.raises(TypeError, match="keep_answers"):
        await poster.call("http://127.0.0.1:9/", {}, b"{}", 5)


ON_BOTH_LOOPS = [
    test_a_post_carries_its_headers_and_body_and_reuses_its_connection,
    test_any_status_is_an_answer_and_no_redirect_is_followed,
    test_chunked_and_interim_answers_are_read_whole,
    test_an_answer_that_closes_its_connection_is_not_reused,
    test_a_connection_the_service_closed_while_idle_is_replaced,
    test_a_new_connection_closed_unanswered_fails,
    test_oversized_answers_are_cut_short,
    test_a_silent_service_times_out_and_its_connection_is_closed,
    test_an_unreachable_service_fails_with_where_it_tried,
]


CALLS_ON_BOTH_LOOPS = [
    test_a_call_keeps_its_answers_body_and_retry_after,
    test_a_call_is_never_sent_twice,
    test_a_calls_oversized_answer_is_cut_and_its_connection_closed,
]


@pytest.mark.parametrize(
    "case", ON_BOTH_LOOPS + CALLS_ON_BOTH_LOOPS, ids=lambda case: case.__name__[5:]
)
def test_the_same_on_uvloop(case: Callable[[KeepAlivePoster], Awaitable[None]]) -> None:
    """The bot runs on uvloop where it is installed, whose transports are its own."""
    uvloop = pytest.importorskip("uvloop")

    async def run() -> None:
        poster = KeepAlivePoster(keep_answers=case in CALLS_ON_BOTH_LOOPS)
        try:
            await case(poster)
        finally:
            await poster.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run())
