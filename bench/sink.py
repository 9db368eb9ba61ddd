"""A subscriber sink that also tells what it was sent: event types, masked replies, reply texts.

``python -m bench.sink --secret-env S --watch TEXT ...`` prints ``READY <url>``. Like
``tests.emulators.sink`` it verifies each delivery's signature and answers ``GET /stats``
with ``deliveries``, ``unique`` and, with ``?detail=1``, ``received`` (event id: first
arrival). It adds, per event type, how many deliveries came; for ``message.outbound``, how
many were masked and how many still carried a ``text``; how many bodies of any type held one
of the ``--watch`` texts (the replies that masking must hide); the time of the last
delivery; and the first few outbound bodies as a sample.

The bodies are not parsed: a few substring searches on the raw bytes keep it as cheap as
the tests' sink under load. The runtime writes events as compact JSON with ``id`` then
``type`` first, which is what the type is read from.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence

from aiohttp import web

from bench.procs import secret_from, until_signalled
from tests.emulators.sink import (
    BATCH_HEADER,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    batch_events,
    verify_signature,
)

OUTBOUND = "message.outbound"
SAMPLE_SIZE = 3
"""Outbound bodies kept per sink, for a person to look at."""


def event_type(raw: bytes) -> str:
    start = raw.find(b'"type":"')
    if start < 0:
        return "?"
    start += len(b'"type":"')
    return raw[start : raw.find(b'"', start)].decode(errors="replace")


def json_fragment(text: str) -> bytes:
    """``text`` as it appears inside a compact JSON string of the runtime's events."""
    return json.dumps(text, ensure_ascii=False)[1:-1].encode()


class InspectingSink:
    def __init__(self, secret: str, watch: Sequence[str]) -> None:
        self.secret = secret
        self.watch = [json_fragment(text) for text in watch if text]
        self.deliveries = 0
        self.posts = 0
        self.rejected = 0
        self.received: dict[str, float] = {}
        self.last_at = 0.0
        self.by_type: Counter[str] = Counter()
        self.outbound_masked = 0
        self.outbound_with_text = 0
        self.watched_hits = 0
        self.sample: list[str] = []

    async def hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        reason = verify_signature(self.secret, request.headers.get(SIGNATURE_HEADER), raw)
        event_id = request.headers.get(EVENT_ID_HEADER)
        if reason is not None or not event_id:
            self.rejected += 1
            return web.Response(status=401 if reason else 400, text=reason or "no event id")
        bodies = [raw]
        if (count := request.headers.get(BATCH_HEADER)) is not None:
            events = batch_events(raw, count)
            if isinstance(events, str):
                self.rejected += 1
                return web.Response(status=400, text=events)
            # Each event as it would have come alone, so the checks below read it the same.
            bodies = [
                json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode() for e in events
            ]
            event_id = ""
        self.posts += 1
        for body in bodies:
            self.count(event_id or str(json.loads(body)["id"]), body)
        return web.Response(status=200)

    def count(self, event_id: str, raw: bytes) -> None:
        now = time.time()
        self.deliveries += 1
        self.last_at = now
        self.received.setdefault(event_id, now)
        kind = event_type(raw)
        self.by_type[kind] += 1
        if kind == OUTBOUND:
            self.outbound_masked += b'"masked":true' in raw
            self.outbound_with_text += b'"text":' in raw
            if len(self.sample) < SAMPLE_SIZE:
                self.sample.append(raw.decode(errors="replace"))
        self.watched_hits += any(text in raw for text in self.watch)

    async def stats(self, request: web.Request) -> web.Response:
        body = {
            "deliveries": self.deliveries,
            "posts": self.posts,
            "unique": len(self.received),
            "rejected": self.rejected,
            "last_at": self.last_at,
            "by_type": dict(self.by_type),
            "outbound_masked": self.outbound_masked,
            "outbound_with_text": self.outbound_with_text,
            "watched_text_hits": self.watched_hits,
            "sample": self.sample,
        }
        if request.query.get("detail") == "1":
            body["received"] = self.received
        return web.json_response(body)


async def serve(port: int, sink: InspectingSink) -> None:
    app = web.Application()
    app.router.add_post("/hook", sink.hook)
    app.router.add_get("/stats", sink.stats)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    host, bound = runner.addresses[0][:2]
    print(f"READY http://{host}:{bound}/hook", flush=True)
    try:
        await until_signalled()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--secret-env", required=True, help="environment variable holding the signing secret"
    )
    parser.add_argument(
        "--watch", action="append", default=[], help="a text to count in the bodies; repeatable"
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, InspectingSink(secret_from(args.secret_env), args.watch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
