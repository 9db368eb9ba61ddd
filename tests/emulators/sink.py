"""A webhook subscriber that verifies Switchboard-signed deliveries, with failure modes.

Runs in-process for tests, or standalone for benchmarks: ``python -m tests.emulators.sink``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.emulators.server import LocalServer

SIGNATURE_HEADER = "Switchboard-Signature"
EVENT_ID_HEADER = "Switchboard-Event-Id"
BATCH_HEADER = "Switchboard-Batch"


def batch_events(raw: bytes, count: str) -> list[dict[str, Any]] | str:
    """The events of a batched body, or why it is not one of ``count`` events."""
    try:
        body = json.loads(raw)
    except ValueError:
        return "body is not JSON"
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return 'a batch body is {"events": [...]}'
    if not count.isdigit() or int(count) != len(events) or not events:
        return f"{BATCH_HEADER} does not count the events"
    return events


def signature_header(secret: str, raw_body: bytes, *, timestamp: int | None = None) -> str:
    """Build a ``Switchboard-Signature`` value, for tests that play the sender."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + raw_body, hashlib.sha256)
    return f"t={t},v1={digest.hexdigest()}"


def verify_signature(
    secret: str,
    header: str | None,
    raw_body: bytes,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> str | None:
    """Return why ``header`` does not authenticate ``raw_body``, or None if it does.

    Written the way an independent receiver would, so it catches sender bugs
    rather than sharing them.
    """
    if not header:
        return "missing signature header"
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return "malformed timestamp"
        elif key == "v1":
            # Several v1 entries are legal: senders add one per secret while rotating.
            candidates.append(value)
    if timestamp is None or not candidates:
        return "malformed signature header"
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return "timestamp outside tolerance"
    expected = hmac.new(
        secret.encode("utf-8"), f"{timestamp}.".encode() + raw_body, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        return "signature mismatch"
    return None


@dataclass(frozen=True)
class Delivery:
    """A delivery the sink acknowledged with 200."""

    event_id: str
    event: dict[str, Any]
    raw_body: bytes
    headers: dict[str, str]
    received_at: float


@dataclass(frozen=True)
class Rejection:
    """A request refused before any processing (bad signature, malformed body...)."""

    reason: str
    raw_body: bytes
    headers: dict[str, str]
    received_at: float


class SubscriberSink(LocalServer):
    """Receives POSTs on ``/hook``; ``GET /stats`` reports counters as JSON."""

    def __init__(
        self,
        secret: str,
        *,
        tolerance: int = 300,
        keep_bodies: bool = True,
        path: str = "/hook",
        max_body: int = 0,
    ) -> None:
        self.secret = secret
        self.max_body = max_body
        """Bytes of a body taken at most, when not 0: past it, 413 (aiohttp's 1 MiB, say)."""
        self.tolerance = tolerance
        # False keeps only counters and arrival times, to stay cheap under benchmark load.
        self.keep_bodies = keep_bodies
        self.path = path
        self.deliveries: list[Delivery] = []
        self.rejected: list[Rejection] = []
        self.failed_attempts = 0
        self.failed_at: list[float] = []
        """When each induced failure was answered."""
        self.abandoned = 0
        self.delivery_count = 0
        self.posts = 0
        """Accepted POSTs: one per event, or one per batch."""
        self.received: dict[str, float] = {}
        self.url = ""
        self._fail_status: int | None = None
        self._fail_remaining: int | None = None
        self._fail_retry_after: str | Callable[[], str] | None = None
        self._stall_seconds = 0.0
        self._healed = asyncio.Event()
        self._changed = asyncio.Condition()

    async def start(self, port: int = 0, *, host: str = "127.0.0.1") -> str:
        """Listen and return the delivery URL, e.g. ``http://127.0.0.1:PORT/hook``."""
        app = web.Application()
        app.router.add_post(self.path, self._handle_delivery)
        app.router.add_get("/stats", self._handle_stats)
        self.url = f"{await self._listen(app, port, host)}{self.path}"
        return self.url

    async def stop(self) -> None:
        # Release stalled handlers first, or shutdown would wait on them.
        self.heal()
        await self._shut_down()

    async def aclose(self) -> None:
        await self.stop()

    def fail(
        self,
        status: int = 500,
        count: int | None = None,
        *,
        retry_after: str | Callable[[], str] | None = None,
    ) -> None:
        """Answer valid deliveries with ``status``: ``count`` times, or until ``heal()``;
        with a ``Retry-After`` header if given (a function: called as each refusal is
        answered, for a date counted from then)."""
        self._fail_status = status
        self._fail_remaining = count
        self._fail_retry_after = retry_after

    def stall(self, seconds: float) -> None:
        """Hold each valid delivery ``seconds`` before answering, until ``heal()``."""
        self._stall_seconds = seconds
        if self._healed.is_set():
            self._healed = asyncio.Event()

    def heal(self) -> None:
        """Back to answering 200 at once; requests stalled right now are released."""
        self._fail_status = None
        self._fail_remaining = None
        self._stall_seconds = 0.0
        self._healed.set()

    def event_ids(self) -> set[str]:
        return set(self.received)

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Acknowledged event envelopes in arrival order, duplicates included."""
        return [d.event for d in self.deliveries if type is None or d.event.get("type") == type]

    def stats(self, *, detail: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {
            "deliveries": self.delivery_count,
            "unique": len(self.received),
            "rejected": len(self.rejected),
            "failed_attempts": self.failed_attempts,
        }
        if detail:
            result["received"] = dict(self.received)
        return result

    # The waits take a plain timeout so call sites stay one line; it is enforced inside.
    async def wait_for(
        self,
        predicate: Callable[[list[Delivery]], bool],
        timeout: float = 10.0,
    ) -> None:
        """Wait until ``predicate(self.deliveries)`` holds."""
        await self._wait(lambda: predicate(self.deliveries), timeout, "predicate never held")

    async def wait_for_count(
        self,
        n: int,
        type: str | None = None,
        timeout: float = 10.0,
        *,
        unique: bool = False,
    ) -> None:
        """Wait for ``n`` acknowledged deliveries (of ``type``; distinct ids if ``unique``)."""
        if type is not None and not self.keep_bodies:
            raise ValueError("filtering by type needs keep_bodies=True")

        def count() -> int:
            if type is None:
                return len(self.received) if unique else self.delivery_count
            matching = [d.event_id for d in self.deliveries if d.event.get("type") == type]
            return len(set(matching)) if unique else len(matching)

        what = f"{'unique ' if unique else ''}{type or 'any'} deliveries"
        await self._wait(lambda: count() >= n, timeout, f"wanted {n} {what}")

    async def _wait(self, ready: Callable[[], bool], limit: float, what: str) -> None:
        try:
            async with asyncio.timeout(limit):
                async with self._changed:
                    await self._changed.wait_for(ready)
        except TimeoutError:
            types = sorted({str(d.event.get("type")) for d in self.deliveries})
            raise TimeoutError(
                f"{what} within {limit}s; sink has {self.delivery_count} deliveries "
                f"({len(self.received)} unique, types {types}), {len(self.rejected)} rejected "
                f"{[r.reason for r in self.rejected[-3:]]}, "
                f"{self.failed_attempts} failed attempts"
            ) from None

    async def _handle_delivery(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if self.max_body and len(raw) > self.max_body:
            return self._reject(request, raw, "body too large", 413)
        reason = verify_signature(
            self.secret, request.headers.get(SIGNATURE_HEADER), raw, tolerance=self.tolerance
        )
        if reason is not None:
            return self._reject(request, raw, reason, 401)
        event_id = request.headers.get(EVENT_ID_HEADER)
        if not event_id:
            return self._reject(request, raw, f"missing {EVENT_ID_HEADER} header", 400)
        events: list[dict[str, Any]] = [{}]
        if (count := request.headers.get(BATCH_HEADER)) is not None:
            found = batch_events(raw, count)
            if isinstance(found, str):
                return self._reject(request, raw, found, 400)
            events = found
        elif self.keep_bodies:
            try:
                events = [json.loads(raw)]
            except ValueError:
                return self._reject(request, raw, "body is not JSON", 400)
        if (self.keep_bodies or count is not None) and (
            not isinstance(events[0], dict) or events[0].get("id") != event_id
        ):
            return self._reject(request, raw, "event id header does not match body", 400)

        if self._fail_status is not None:
            status, retry_after = self._fail_status, self._fail_retry_after
            self.failed_attempts += 1
            self.failed_at.append(time.time())
            if callable(retry_after):
                retry_after = retry_after()
            headers = {} if retry_after is None else {"Retry-After": retry_after}
            if self._fail_remaining is not None:
                self._fail_remaining -= 1
                if self._fail_remaining <= 0:
                    self._fail_status = self._fail_remaining = None
            async with self._changed:  # a wait may be for failed attempts
                self._changed.notify_all()
            return web.Response(status=status, text="induced failure", headers=headers)

        if self._stall_seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._healed.wait(), self._stall_seconds)
            if request.transport is None or request.transport.is_closing():
                # The sender gave up and will retry; only what it saw acknowledged
                # counts as delivered, so both sides agree on the tally.
                self.abandoned += 1
                return web.Response(status=200)

        self.posts += 1
        for event in events:
            one_id = str(event.get("id", event_id))
            self.delivery_count += 1
            self.received.setdefault(one_id, time.time())
            if self.keep_bodies:
                self.deliveries.append(
                    Delivery(one_id, event, raw, dict(request.headers), time.time())
                )
        async with self._changed:
            self._changed.notify_all()
        return web.Response(status=200)

    def _reject(self, request: web.Request, raw: bytes, reason: str, status: int) -> web.Response:
        self.rejected.append(Rejection(reason, raw, dict(request.headers), time.time()))
        return web.Response(status=status, text=reason)

    async def _handle_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats(detail=request.query.get("detail") == "1"))


async def _serve(sink: SubscriberSink, host: str, port: int) -> None:
    url = await sink.start(port, host=host)
    print(f"READY {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await sink.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Standalone webhook subscriber sink.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--secret-env",
        required=True,
        help="name of the environment variable holding the signing secret",
    )
    parser.add_argument("--tolerance", type=int, default=300)
    args = parser.parse_args(argv)
    # The secret comes from the environment so it never shows up in process listings.
    secret = os.environ.get(args.secret_env)
    if not secret:
        print(f"environment variable {args.secret_env} is empty or unset", file=sys.stderr)
        return 2
    sink = SubscriberSink(secret, tolerance=args.tolerance, keep_bodies=False)
    asyncio.run(_serve(sink, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
