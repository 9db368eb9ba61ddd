"""The floor of this stack for what the bot must do per message, with none of its logic.

Beside the baseline (``bench/baseline.py``: a webhook, its HMAC and ONE XADD) this server
does the least I/O any implementation on this stack must do for the benchmark's load:

- the webhook: aiohttp reads the body, checks ``X-Hub-Signature-256``, parses the JSON
  (orjson) and does ONE XADD of the message's fields, then answers 200;
- one consumer task reads that stream with ``XREADGROUP … BLOCK`` in batches and, for each
  message, POSTs a minimal signed ``message.inbound`` event to every subscriber (the bot's
  signature and headers, through the bot's own client, ``adapters/keepalive.py``, with
  keep-alive connections); for the messages
  the bench's automation answers (the welcome of a first contact, the two keyword rules),
  one POST to the Graph API's messages endpoint per reply and then one signed
  ``message.outbound`` event to every subscriber (masked for those that mask, as
  ``--fanout`` configures the bot); then ``XACK`` and ``XDEL`` of the batch in one pipeline.

No stitching, threads, dedupe, retries, rules engine or metrics: first contacts are a set in
memory. With ``--grouped-appends`` the webhooks of one turn of the event loop append in one
pipeline, as the bot's do, rather than an XADD each, as the baseline's.

Run as its own process: ``python -m bench.floor --prefix bench:x:`` with its setup as JSON
in ``$FLOOR_CONFIG`` (secrets never on the command line); it prints ``READY <url>`` once it
listens and stops on SIGTERM. uvloop is used when it is installed, as ``serve`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson
from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import RedisError, ResponseError

from adapters.keepalive import KeepAlivePoster, PostFailed
from adapters.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, sign
from bench.procs import until_signalled
from bot.model import derived_id
from stores.autopipe import AutoPipeline
from stores.redis import Pipe

PATH = "/webhooks/whatsapp"
CONFIG_ENV = "FLOOR_CONFIG"
GROUP = "floor"
BATCH = 100
"""Entries per XREADGROUP."""
BLOCK_MS = 1000
CONNECTIONS = 64
"""Calls in flight to the Graph API at most; the sinks' client takes four times as many
POSTs in flight in all."""


@dataclass(frozen=True, slots=True)
class Sink:
    url: str
    secret: str = field(repr=False)
    mask: bool = False
    """Its ``message.outbound`` events come without the reply's text."""


@dataclass(frozen=True)
class Setup:
    """What the floor needs to know: the bench's secrets, sinks, Graph API and automation."""

    app_secret: str = field(repr=False)
    sinks: tuple[Sink, ...]
    graph_base: str
    graph_token: str = field(repr=False)
    phone_number_id: str
    welcome: str = ""
    rules: tuple[tuple[re.Pattern[str], str], ...] = ()
    """(keywords as a regex, reply), highest priority first: the first that matches answers."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Setup:
        automation = raw.get("automation") or {}
        ordered = sorted(automation.get("rules", []), key=lambda rule: -rule.get("priority", 0))
        rules = tuple((keywords(rule["keywords"]), rule["reply"]) for rule in ordered)
        return cls(
            app_secret=raw["app_secret"],
            sinks=tuple(Sink(s["url"], s["secret"], bool(s.get("mask"))) for s in raw["sinks"]),
            graph_base=raw["graph_base"].rstrip("/"),
            graph_token=raw["graph_token"],
            phone_number_id=raw["phone_number_id"],
            welcome=automation.get("welcome", ""),
            rules=rules,
        )


def keywords(words: Sequence[str]) -> re.Pattern[str]:
    """A keyword rule's match, as the bot's auto-reply compiles it: whole words, any case."""
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def messages_of(body: Any) -> Iterator[dict[str, str]]:
    """The messages of a WhatsApp webhook as flat stream fields; statuses are skipped."""
    for entry in body["entry"]:
        for change in entry["changes"]:
            value = change["value"]
            number = value["metadata"]["phone_number_id"]
            contacts = value.get("contacts", [])
            names = {c["wa_id"]: c.get("profile", {}).get("name", "") for c in contacts}
            for message in value.get("messages", []):
                yield {
                    "id": message["id"],
                    "from": message["from"],
                    "name": names.get(message["from"], ""),
                    "text": (message.get("text") or {}).get("body", ""),
                    "ts": message.get("timestamp", ""),
                    "number": number,
                }


def _xadd(stream: str, fields: dict[str, str], pipe: Pipe) -> None:
    pipe.xadd(stream, fields)  # type: ignore[arg-type]


@dataclass
class Counts:
    """What the floor did, answered on ``GET /stats``."""

    accepted: int = 0
    rejected: int = 0
    processed: int = 0
    deliveries: int = 0
    failed_deliveries: int = 0
    sends: int = 0
    failed_sends: int = 0
    redis_round_trips: int = 0
    """Commands or pipelines sent to Redis, each one round trip (as the bot counts them)."""


class CountedConnection(Connection):
    """redis-py's connection, counting what it sends: a command or a whole pipeline is one
    round trip (``stores/redis.py`` counts the bot's the same way)."""

    count = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountedConnection.count += 1
        await super().send_packed_command(command, check_health)


class Floor:
    """The webhook route and the consumer; ``start`` listens and reads, ``stop`` ends both."""

    def __init__(self, redis: Redis, setup: Setup, stream: str, *, grouped: bool = False) -> None:
        self.redis = redis
        self.setup = setup
        self.stream = stream
        self.appends = AutoPipeline(redis) if grouped else None
        """With ``grouped``, the appends of concurrent webhooks go out in one pipeline, as
        the bot's do (``stores/autopipe.py``), instead of an XADD each, as the baseline's."""
        self.counts = Counts()
        self.seen: set[tuple[str, str]] = set()
        self.calls = KeepAlivePoster(limit=CONNECTIONS, keep_answers=True)
        """The Graph API's client, the bot's (``adapters/keepalive.py``, as its WhatsApp
        client makes its sends)."""
        self.posts = KeepAlivePoster(limit=CONNECTIONS * 4)
        self.runner: web.AppRunner | None = None
        self.consumer: asyncio.Task[None] | None = None
        self._acked = asyncio.Condition()
        self._stopping = False
        self._key = setup.app_secret.encode()
        self._graph_url = f"{setup.graph_base}/{setup.phone_number_id}/messages"
        self._graph_headers = {
            "Authorization": f"Bearer {setup.graph_token}",
            "Content-Type": "application/json",
        }

    # The webhook: the baseline's work, and the JSON parsed into the stream entry's fields.

    async def webhook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(self._key, raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
            self.counts.rejected += 1
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            items = list(messages_of(orjson.loads(raw)))
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            self.counts.rejected += 1
            return web.json_response({"error": "not a WhatsApp webhook"}, status=400)
        if self.appends is not None:
            await self.appends.run([partial(_xadd, self.stream, item) for item in items])
        elif len(items) == 1:
            await self.redis.xadd(self.stream, items[0])  # type: ignore[arg-type]
        elif items:
            pipe = self.redis.pipeline(transaction=False)
            for item in items:
                pipe.xadd(self.stream, item)  # type: ignore[arg-type]
            await pipe.execute()
        self.counts.accepted += 1
        return web.json_response({"ok": True})

    async def stats(self, request: web.Request) -> web.Response:
        self.counts.redis_round_trips = CountedConnection.count
        return web.json_response(vars(self.counts))

    # The consumer: batches from the stream, deliveries and replies, one ack pipeline.

    async def consume(self) -> None:
        while not self._stopping:
            read = await self.redis.xreadgroup(
                GROUP, "c", {self.stream: ">"}, count=BATCH, block=BLOCK_MS
            )
            if not read:
                continue
            entries = read[0][1]
            await asyncio.gather(*(self.process(fields) for _, fields in entries))
            ids = [entry_id for entry_id, _ in entries]
            pipe = self.redis.pipeline(transaction=False)
            pipe.xack(self.stream, GROUP, *ids)
            pipe.xdel(self.stream, *ids)
            await pipe.execute()
            self.counts.processed += len(ids)
            async with self._acked:
                self._acked.notify_all()

    async def wait_processed(self, count: int) -> None:
        """Until ``count`` messages were processed and their batches acknowledged."""
        async with self._acked:
            await self._acked.wait_for(lambda: self.counts.processed >= count)

    def replies(self, number: str, customer: str, text: str) -> list[str]:
        """The bench's automation: the welcome for a first contact, the first rule matching."""
        answers = []
        if (number, customer) not in self.seen:
            self.seen.add((number, customer))
            if self.setup.welcome:
                answers.append(self.setup.welcome)
        for pattern, reply in self.setup.rules:
            if pattern.search(text):
                answers.append(reply)
                break
        return answers

    async def process(self, message: dict[str, str]) -> None:
        wamid, number, customer = message["id"], message["number"], message["from"]
        event_id = derived_id("evt", wamid, "inbound")
        event = {
            "id": event_id,
            "type": "message.inbound",
            "timestamp": time.time(),
            "number": number,
            "data": {
                "channel": "whatsapp",
                "customer": f"wa:{customer}",
                "name": message["name"],
                "message": {
                    "id": wamid,
                    "kind": "text",
                    "text": message["text"],
                    "timestamp": message["ts"],
                },
            },
        }
        body = orjson.dumps(event)
        answers = self.replies(number, customer, message["text"])
        work = [self.deliver(sink, event_id, body) for sink in self.setup.sinks]
        if answers:
            work.append(self.answer(wamid, number, customer, answers))
        # A task per coroutine only where there is more than one to wait for.
        if len(work) == 1:
            await work[0]
        else:
            await asyncio.gather(*work)

    async def answer(self, wamid: str, number: str, customer: str, answers: list[str]) -> None:
        """Each reply in turn: the send, then its ``message.outbound`` to every sink."""
        for index, text in enumerate(answers):
            provider_id = await self.send(customer, text)
            if provider_id is None:
                continue
            event_id = derived_id("evt", derived_id("snd", wamid, str(index)), "outbound")
            data: dict[str, Any] = {
                "direction": "outbound",
                "channel": "whatsapp",
                "number": number,
                "customer": f"wa:{customer}",
                "service": "bot",
                "kind": "text",
                "status": "sent",
                "provider_id": provider_id,
            }
            event = {
                "id": event_id,
                "type": "message.outbound",
                "timestamp": time.time(),
                "number": number,
                "data": data,
            }
            plain = orjson.dumps(event | {"data": data | {"text": text}})
            masking = any(sink.mask for sink in self.setup.sinks)
            masked = orjson.dumps(event | {"data": data | {"masked": True}}) if masking else b""
            work = [
                self.deliver(sink, event_id, masked if sink.mask else plain)
                for sink in self.setup.sinks
            ]
            if len(work) == 1:
                await work[0]
            else:
                await asyncio.gather(*work)

    async def send(self, to: str, text: str) -> str | None:
        """One text through the Graph API; the message id it answers, None if refused."""
        body = orjson.dumps(
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"preview_url": False, "body": text},
            }
        )
        try:
            answer = await self.calls.call(self._graph_url, self._graph_headers, body, 30)
            if answer.status == 200:
                self.counts.sends += 1
                return str(orjson.loads(answer.body)["messages"][0]["id"])
        except (PostFailed, TimeoutError, orjson.JSONDecodeError, KeyError):
            pass
        self.counts.failed_sends += 1
        return None

    async def deliver(self, sink: Sink, event_id: str, body: bytes) -> None:
        """One signed POST, as the bot's couriers send it."""
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(sink.secret, body),
            EVENT_ID_HEADER: event_id,
            "User-Agent": "Switchboard",
        }
        try:
            ok = 200 <= (await self.posts.post(sink.url, headers, body, 30)).status < 300
        except (PostFailed, TimeoutError):
            ok = False
        if ok:
            self.counts.deliveries += 1
        else:
            self.counts.failed_deliveries += 1

    # Life cycle.

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Listen and start reading; the webhook's URL."""
        with contextlib.suppress(ResponseError):  # BUSYGROUP: a restart on the same stream
            await self.redis.xgroup_create(self.stream, GROUP, id="$", mkstream=True)
        self.consumer = asyncio.create_task(self.consume())
        app = web.Application()
        app.router.add_post(PATH, self.webhook)
        app.router.add_get("/stats", self.stats)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self.runner.setup()
        await web.TCPSite(self.runner, host, port).start()
        bound_host, bound = self.runner.addresses[0][:2]
        return f"http://{bound_host}:{bound}{PATH}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.consumer is not None:
            # redis-py may swallow the cancelling of a blocking read (it returns nothing)
            # or turn it into its own TimeoutError: the flag ends the loop either way.
            self._stopping = True
            self.consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await self.consumer
        await self.calls.close()
        await self.posts.close()


async def serve(
    port: int, prefix: str, redis_url: str, setup: Setup, *, grouped: bool = False
) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True, connection_class=CountedConnection)
    floor = Floor(redis, setup, f"{prefix}floor", grouped=grouped)
    url = await floor.start(port)
    print(f"READY {url}", flush=True)
    try:
        await until_signalled()
    finally:
        await floor.stop()
        await redis.aclose()
        floor.counts.redis_round_trips = CountedConnection.count
        print(f"COUNTS {json.dumps(vars(floor.counts))}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--prefix", required=True, help="key prefix of its stream")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--config-env", default=CONFIG_ENV, help="environment variable holding the setup (JSON)"
    )
    parser.add_argument(
        "--grouped-appends",
        action="store_true",
        help="concurrent webhooks' XADDs in one pipeline, as the bot appends (stores/autopipe.py)",
    )
    args = parser.parse_args(argv)
    raw = os.environ.get(args.config_env)
    if not raw:
        raise SystemExit(f"environment variable {args.config_env} is empty or unset")
    setup = Setup.from_dict(json.loads(raw))
    served = serve(args.port, args.prefix, args.redis_url, setup, grouped=args.grouped_appends)
    try:
        import uvloop
    except ImportError:
        asyncio.run(served)
    else:
        uvloop.run(served)
    return 0


if __name__ == "__main__":
    sys.exit(main())
