"""HTTP/1.1 POSTs over kept-alive connections: the fan-out's signed webhooks, and the
calls to a provider's API that send a message.

A delivery needs two things from its POST: the status of the answer, and the
``Retry-After`` of a refusal. aiohttp's client
spends 100-150 µs of CPU on a POST for what a browser-like client needs (request and
response objects, header multidicts, a cookie jar, tracing signals, redirects, a timer of
its own); here a POST is one write of bytes joined in one go, and its answer is read by
httptools (llhttp, in C, the parser of Node and uvicorn): about 33 µs with its signature
on the same machine (docs/benchmarks.md). It does only what a webhook needs: no redirects
(a 3xx is the answer), no cookies, no proxy, no compression; the answer's body is read
and dropped.

A call to a provider (``KeepAlivePoster(keep_answers=True)``, ``call``) keeps what a send
needs besides: the answer's body, up to ``MAX_KEPT`` bytes. A
call is never sent twice: a message sent is not a request that may be repeated (RFC 9110,
9.2.2), so a kept-alive connection closed unanswered fails the call, as aiohttp does for
a POST, and the sender's own retries decide what follows.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import functools
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import httptools
from yarl import URL

LIMIT = 100
"""POSTs in flight at once, so as many connections in use (aiohttp's default connector)."""
IDLE_SECONDS = 15.0
"""A connection unused this long is closed (aiohttp's keep-alive time)."""
MAX_HEAD = 64 * 1024
"""Bytes of an answer's status line and headers at most: more is not a webhook's answer."""
MAX_BODY = 1024 * 1024
"""Bytes of an answer's body read at most: past that the status stands, the connection
is closed rather than read to its end."""
MAX_KEPT = 64 * 1024
"""Bytes of a call's answer kept at most: a provider's answer to a send is a few hundred;
past that the status stands with the body cut, and the connection is closed."""
MAX_TARGETS = 1024
"""Parsed URLs kept; the cache starts afresh when full."""


class PostFailed(Exception):
    """The POST got no HTTP answer: no connection, a broken one, or bytes that are not HTTP.
    ``sent``: whether the request may have reached the peer (False when no connection was
    made), so whether a call that is not to be made twice may be made again."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True, slots=True)
class Answer:
    """What a POST keeps of its answer."""

    status: int
    body: bytes
    """Up to ``MAX_KEPT`` bytes, cut there when the answer ran longer, from a poster that
    keeps answers; empty from the others."""
    retry_after: str | None
    """The ``Retry-After`` header as sent, when there was one."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a URL's POSTs go, and the start of their request, built once per URL."""

    origin: tuple[str, str, int]
    """Scheme, host and port: the connections it may share."""
    head: bytes

    @property
    def host(self) -> str:
        return self.origin[1]

    @property
    def port(self) -> int:
        return self.origin[2]

    @property
    def tls(self) -> bool:
        return self.origin[0] == "https"


def target_of(url: str) -> Target:
    """The target of an ``http`` or ``https`` URL; ValueError for anything else."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as error:
        raise ValueError(f"not a URL: {error}") from None
    scheme, host, port = parsed.scheme, parsed.raw_host, parsed.port
    if scheme not in ("http", "https") or not host or port is None:
        raise ValueError("not an http or https URL with a host")
    path = parsed.raw_path_qs or "/"
    authority = parsed.host_port_subcomponent or host
    if any(c in path + authority for c in "\r\n \t"):
        raise ValueError("the URL's path or host holds a space or a line break")
    head = f"POST {path} HTTP/1.1\r\nHost: {authority}\r\n"
    if parsed.raw_user is not None or parsed.raw_password is not None:
        # Basic authentication, as curl and every HTTP client take a URL's user and password.
        pair = f"{parsed.user or ''}:{parsed.password or ''}".encode()
        head += f"Authorization: Basic {base64.b64encode(pair).decode('ascii')}\r\n"
    return Target((scheme, host, port), head.encode("ascii"))


def header_lines(headers: Mapping[str, str], length: int) -> bytes:
    """The request's headers after ``Host``, then the blank line; ValueError for a name or
    value that would break the request (a line break, a NUL, a colon in a name)."""
    names = "".join(headers)
    probe = names + "".join(headers.values())
    if ":" in names or "\r" in probe or "\n" in probe or "\0" in probe or not names.isascii():
        bad = next(n for n, v in headers.items() if not _sendable(n, v))
        raise ValueError(f"header {bad!r} cannot be sent as it is")
    lines = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
    return f"Content-Length: {length}\r\n{lines}\r\n".encode("latin-1")


def _sendable(name: str, value: str) -> bool:
    return name.isascii() and ":" not in name and not any(c in name + value for c in "\r\n\0")


class Connection(asyncio.Protocol):
    """One connection to one origin: a request at a time, its answer parsed as it comes."""

    def __init__(self, origin: tuple[str, str, int]) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future[int] | None = None
        self.open = True
        self.reusable = False
        self.answered_bytes = 0
        """Bytes received for the request in flight: none means the peer never answered."""
        self.head_done = False
        self.body_bytes = 0
        self.idle_since = 0.0
        self.retry_after: str | None = None

    async def post(self, data: bytes, deadline: float) -> int:
        """Send a whole request; the status of its final answer, TimeoutError if it has
        none by ``deadline`` (the loop's time)."""
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        answer = self.answer = loop.create_future()
        self.reusable = self.head_done = False
        self.answered_bytes = self.body_bytes = 0
        self.retry_after = None
        # One timer handle, where asyncio.timeout costs about three times as much.
        timer = loop.call_at(deadline, self._time_out, answer)
        try:
            self.transport.write(data)
            return await answer
        finally:
            timer.cancel()

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()

    def _time_out(self, answer: asyncio.Future[int]) -> None:
        if not answer.done():
            answer.set_exception(TimeoutError())

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self.answer is None or self.answer.done():
            self.close()  # bytes nobody asked for: this connection cannot be trusted again
            return
        self.answered_bytes += len(data)
        try:
            self.parser.feed_data(data)  # no header is kept, so a long head costs no memory
        except httptools.HttpParserUpgrade:
            self._fail("the answer switched protocols")
        except httptools.HttpParserError as error:
            self._fail(f"not an HTTP answer ({error})")
        else:
            if not self.head_done and self.answered_bytes > MAX_HEAD:
                self._fail(f"the answer's headers run past {MAX_HEAD} bytes")

    def eof_received(self) -> bool:
        return False  # close; connection_lost says what that means for the answer

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self.answer is not None and not self.answer.done():
            if self.head_done:  # a body that ends with the connection: the status stands
                self.answer.set_result(self.parser.get_status_code())
            else:
                reason = f": {exc}" if exc else ""
                self.answer.set_exception(PostFailed(f"the connection closed unanswered{reason}"))

    # httptools' callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) == 11 and name.lower() == b"retry-after":
            self.retry_after = value.decode("latin-1").strip()

    def on_headers_complete(self) -> None:
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        if self.body_bytes > MAX_BODY:
            self._settle(self.parser.get_status_code(), reusable=False)
            self.close()

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # an interim answer (100 Continue, 103): the final one follows
            self.head_done = False
            self.answered_bytes = 0
            self.retry_after = None  # an interim answer's headers are not the answer's
            return
        self._settle(status, reusable=self.parser.should_keep_alive())

    def _settle(self, status: int, *, reusable: bool) -> None:
        if self.answer is not None and not self.answer.done():
            self.reusable = reusable
            self.answer.set_result(status)
        else:
            self.reusable = False  # a second answer to one request

    def _fail(self, reason: str) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(PostFailed(reason))
        self.close()

    def answer_of(self, status: int) -> Answer:
        """What the caller gets of the answer: its status and ``Retry-After``."""
        return Answer(status, b"", self.retry_after)


class AnswerConnection(Connection):
    """A connection that keeps its answer's body for the caller."""

    def __init__(self, origin: tuple[str, str, int]) -> None:
        super().__init__(origin)
        self.kept: list[bytes] = []

    async def post(self, data: bytes, deadline: float) -> int:
        self.kept = []
        return await super().post(data, deadline)

    def on_body(self, body: bytes) -> None:
        room = MAX_KEPT - self.body_bytes
        self.body_bytes += len(body)
        if room > 0:
            self.kept.append(body[:room])
        if self.body_bytes > MAX_KEPT:
            self._settle(self.parser.get_status_code(), reusable=False)
            self.close()

    def answer_of(self, status: int) -> Answer:
        return Answer(status, b"".join(self.kept), self.retry_after)


class KeepAlivePoster:
    """POSTs that reuse their origin's idle connections; at most ``limit`` in flight, or
    as many as the callers make with ``limit=None`` (the fan-out, where each service's
    own concurrency bounds its POSTs: a cap shared by all would let a few hung services
    hold every other service's turn, REL-2)."""

    def __init__(
        self,
        *,
        limit: int | None = LIMIT,
        idle_seconds: float = IDLE_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
        keep_answers: bool = False,
    ) -> None:
        self.keep_answers = keep_answers
        """Connections keep their answers' bodies, for ``call``."""
        self.idle_seconds = idle_seconds
        self.limit = limit
        self._busy = 0
        """POSTs in flight."""
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        """POSTs waiting for one in flight to end, first come first served."""
        self._idle: dict[tuple[str, str, int], list[Connection]] = {}
        self._sweep: asyncio.TimerHandle | None = None
        self._targets: dict[str, Target] = {}
        self._ssl = ssl_context
        self._closed = False
        self._lookups: dict[tuple[str, int], asyncio.Future[list[tuple[Any, ...]]]] = {}
        """Host names being looked up, each once for every connection waiting on it."""

    async def post(
        self, url: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Answer:
        """The answer to a POST of ``body`` to ``url``: its status and ``Retry-After`` (its
        body only if the poster keeps answers). ValueError for a URL or
        header that cannot be sent, PostFailed for no HTTP answer, TimeoutError past
        ``timeout`` seconds (waiting for a slot, connecting, sending and reading). A POST
        sent on a kept-alive connection that the peer had closed goes once more, on
        another: a webhook's receiver takes an event twice as once."""
        return await self._send(url, headers, body, timeout, resend=True)

    async def call(
        self, url: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Answer:
        """``post``, with the answer's body (the poster must keep
        answers), and never sent twice: PostFailed for a connection closed unanswered."""
        if not self.keep_answers:
            raise TypeError("a KeepAlivePoster(keep_answers=True) makes calls")
        return await self._send(url, headers, body, timeout, resend=False)

    async def _send(
        self, url: str, headers: Mapping[str, str], body: bytes, timeout: float, *, resend: bool
    ) -> Answer:
        target = self._targets.get(url)
        if target is None:
            target = target_of(url)
            if len(self._targets) >= MAX_TARGETS:
                self._targets.clear()
            self._targets[url] = target
        data = b"".join((target.head, header_lines(headers, len(body)), body))
        deadline = asyncio.get_running_loop().time() + timeout
        if self.limit is not None and (self._busy >= self.limit or self._waiting):
            await self._wait_for_slot(deadline)  # handed the slot of a POST that ended
        else:
            self._busy += 1
        try:
            return await self._exchange(target, data, deadline, resend)
        finally:
            self._release()

    async def close(self) -> None:
        """Close the idle connections; those in use close when their POST ends."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def _wait_for_slot(self, deadline: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot as it gave up: the next in line takes it
            raise

    def _release(self) -> None:
        """End a POST's hold of its slot: to the first still waiting, else free."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._busy -= 1

    async def _exchange(self, target: Target, data: bytes, deadline: float, resend: bool) -> Answer:
        """The answer, as much of it as its connection keeps."""
        while True:
            connection = self._take(target.origin)
            reused = connection is not None
            if connection is None:
                async with asyncio.timeout_at(deadline):
                    connection = await self._connect(target)
            try:
                status = await connection.post(data, deadline)
            except PostFailed:
                connection.close()
                if resend and reused and connection.answered_bytes == 0:
                    continue  # closed by the peer while idle: once more, on another
                raise
            except BaseException:
                connection.close()  # cancelled or timed out: its answer may still come
                raise
            answer = connection.answer_of(status)
            if connection.reusable and connection.open and not self._closed:
                self._give_back(connection)
            else:
                connection.close()
            return answer

    def _take(self, origin: tuple[str, str, int]) -> Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.open:
                return connection
        return None

    def _give_back(self, connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        connection.idle_since = loop.time()
        self._idle.setdefault(connection.origin, []).append(connection)
        if self._sweep is None:
            self._sweep = loop.call_later(self.idle_seconds, self._close_idle)

    def _close_idle(self) -> None:
        """Close the connections idle for ``idle_seconds``; again later while any are idle."""
        self._sweep = None
        now = asyncio.get_running_loop().time()
        for origin, idle in list(self._idle.items()):
            # Taken and given back from the end: the longest idle are first.
            kept = 0
            while kept < len(idle) and now - idle[kept].idle_since >= self.idle_seconds:
                idle[kept].close()
                kept += 1
            del idle[:kept]
            if not idle:
                del self._idle[origin]
        if self._idle:
            oldest = min(idle[0].idle_since for idle in self._idle.values())
            wait = max(0.0, oldest + self.idle_seconds - now)
            self._sweep = asyncio.get_running_loop().call_later(wait, self._close_idle)

    async def _addresses(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """The addresses of ``host``, in the order to try them; OSError when it has none.
        The connections made at once to one host share one look-up, which goes on when
        its callers are cancelled (a POST's deadline), its outcome retrieved by nobody's
        line in the log."""
        try:  # an address already: nothing to look up
            address = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]
        lookup = self._lookups.get((host, port))
        if lookup is None:
            loop = asyncio.get_running_loop()
            lookup = asyncio.ensure_future(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM))
            self._lookups[host, port] = lookup
            lookup.add_done_callback(functools.partial(self._looked_up, (host, port)))
        return await asyncio.shield(lookup)

    def _looked_up(self, key: tuple[str, int], lookup: asyncio.Future[Any]) -> None:
        if self._lookups.get(key) is lookup:
            del self._lookups[key]
        if not lookup.cancelled():
            lookup.exception()  # retrieved: its callers may all be gone

    async def _connect(self, target: Target) -> Connection:
        loop = asyncio.get_running_loop()
        context = None
        if target.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        kind = AnswerConnection if self.keep_answers else Connection
        failed: OSError | None = None
        try:
            # Looked up here, not by create_connection: uvloop's lookups of its own, in
            # several connections to a name that does not resolve, leave their failures
            # unretrieved, an error line in the log each.
            for family, _, _, _, address in await self._addresses(target.host, target.port):
                try:
                    _, connection = await loop.create_connection(
                        lambda: kind(target.origin),
                        address[0],
                        address[1],
                        family=family,
                        ssl=context,
                        server_hostname=target.host if context else None,
                    )
                    return connection
                except OSError as error:  # refused, unreachable, a failed TLS handshake
                    failed = error
        except OSError as error:  # no such host
            failed = error
        raise PostFailed(
            f"cannot connect to {target.host}:{target.port}: {failed}", sent=False
        ) from None
