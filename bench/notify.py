"""Bulk notification throughput (AU-4): N contacts get one notification through the
outbox to the Graph API emulator, with WhatsApp's rate limit lifted.

``python -m bench.notify [--recipients 10000] [--shards 8] [--batch 500]`` prints a markdown
report and writes ``bench/results/notify.json``. The bot runs in this process (its Redis
round trips are counted by ``stores.redis.RoundTrips``); the emulator is a process of its
own (``bench/graph_api.py``), so its work is not the bot's. Keys live under a fresh
``bench:<random>:`` prefix and are deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from typing import Any

from redis.asyncio import Redis

from bench.procs import ROOT, Child
from bot.config.notifications import NotificationSettings
from bot.config.settings import Settings, WhatsAppSettings
from bot.model import Identity, conversation_id
from bot.outreach.spec import parse_notification
from bot.runtime import Runtime
from stores.profiles import Sighting
from stores.redis import RoundTrips

PHONE_NUMBER_ID = "106540352242922"
NUMBER = f"wa:{PHONE_NUMBER_ID}"
RESULTS = ROOT / "bench" / "results"


async def seed(runtime: Runtime, count: int) -> list[str]:
    """``count`` contacts who wrote a minute ago: profiles and conversations."""
    now, profiles = time.time(), []
    for start in range(0, count, 1000):
        people = [f"44791{start + n:07d}" for n in range(min(1000, count - start))]
        sightings = [
            Sighting((Identity("wa", wa), Identity("phone", f"+{wa}")), "whatsapp", "", now - 60)
            for wa in people
        ]
        resolved = await runtime.profiles.resolve_many(sightings)
        async with runtime.redis.pipeline(transaction=False) as pipe:
            for wa, resolution in zip(people, resolved, strict=True):
                cid = conversation_id(NUMBER, Identity("wa", wa))
                message = {"id": f"wamid.{wa}", "direction": "inbound", "kind": "text"}
                runtime.conversations.queue_record(
                    pipe,
                    cid,
                    message | {"text": "hi", "timestamp": now - 60},
                    direction="inbound",
                    number=NUMBER,
                    customer=f"wa:{wa}",
                    channel="whatsapp",
                    profile=resolution.profile,
                )
                runtime.profiles.queue_conversation(pipe, resolution.profile, cid)
                runtime.conversations.touch(pipe, NUMBER, cid, now - 60)
            await pipe.execute()
        profiles += [resolution.profile for resolution in resolved]
    return profiles


async def idle_round_trips(seconds: float) -> float:
    """Round trips per second of the runtime's background work (stream reads, leases)."""
    before = RoundTrips.round_trips
    await asyncio.sleep(seconds)
    return (RoundTrips.round_trips - before) / seconds


async def measure(args: argparse.Namespace, graph_base: str, token: str) -> dict[str, Any]:
    """Queue first with the workers stopped (its round trips alone), then start them and
    time the sends until the last one is recorded."""
    prefix = f"bench:{secrets.token_hex(4)}:"
    settings = Settings(
        redis_url=args.redis_url,
        key_prefix=prefix,
        shards=args.shards,
        # A lifted tier: the benchmark measures Switchboard, not Meta's 80 messages a second.
        whatsapp=WhatsAppSettings(
            PHONE_NUMBER_ID, token, "s" * 32, "v", graph_base, messages_per_second=1_000_000.0
        ),
        notifications=NotificationSettings(quiet_hours=None, batch=args.batch),
    )
    runtime = Runtime(settings)
    started = False
    try:
        ids = await seed(runtime, args.recipients)
        body = {
            "number": NUMBER,
            "text": "Hello {profile.name|there}, our sale starts today",
            "audience": {"topic": "offers"} if args.topic else {"profiles": ids},
        }
        spec, entries = parse_notification(body, service="bench", region="GB", zone="UTC")
        notifications = runtime.outreach.notifications
        trips, clock = RoundTrips.round_trips, time.perf_counter()
        created = await notifications.create(spec, entries, hold=3600)
        run = int(created.first_run)
        result = await notifications.runs.execute(created.id, run)
        queueing = time.perf_counter() - clock
        queue_trips = RoundTrips.round_trips - trips

        trips, clock = RoundTrips.round_trips, time.perf_counter()
        await runtime.start()
        started = True
        done = 0
        while time.perf_counter() - clock < args.timeout:
            meta = await notifications.store.run_meta(created.id, run)
            done = int(meta.get("sent", 0)) + int(meta.get("failed", 0))
            if done >= len(result.sent):
                break
            await asyncio.sleep(0.01)
        sending = time.perf_counter() - clock
        send_trips = RoundTrips.round_trips - trips
        idle = await idle_round_trips(2.0)
        report = await notifications.report(created.id)
    finally:
        await (runtime.stop() if started else runtime.close())
        await _drop(args.redis_url, prefix)
    n = args.recipients
    return {
        "recipients": n,
        "queued": report["counts"]["queued"],
        "sent": report["counts"]["sent"],
        "failed": report["counts"]["failed"],
        "queueing_seconds": round(queueing, 3),
        "queued_per_second": round(n / queueing),
        "sending_seconds": round(sending, 3),
        "sent_per_second": round(done / sending),
        "round_trips_queueing_per_recipient": round(queue_trips / n, 4),
        "round_trips_sending_per_recipient": round(send_trips / n, 3),
        "round_trips_sending_per_recipient_less_idle": round((send_trips - idle * sending) / n, 3),
        "idle_round_trips_per_second": round(idle, 1),
    }


async def _drop(url: str, prefix: str) -> None:
    redis = Redis.from_url(url, decode_responses=True)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
    for start in range(0, len(keys), 500):
        await redis.delete(*keys[start : start + 500])
    await redis.aclose()


def commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return found.stdout.strip()
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--topic", action="store_true", help="a topic audience, not a list")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    logs = RESULTS / "logs"
    logs.mkdir(exist_ok=True)
    token = secrets.token_hex(16)
    graph = Child.python(
        "notify-graph",
        "bench.graph_api",
        ["--token-env", "GRAPH_TOKEN"],
        logs,
        {"GRAPH_TOKEN": token},
    )
    try:
        base = graph.start()
        found = asyncio.run(measure(args, base, token))
    finally:
        graph.stop()
    found |= {
        "commit": commit(),
        "shards": args.shards,
        "batch": args.batch,
        "audience": "topic" if args.topic else "profiles",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "emulator_accepted": _sent(graph.output()),
    }
    (RESULTS / "notify.json").write_text(json.dumps(found, indent=2) + "\n")
    print(_markdown(found))
    return 0


def _sent(output: str) -> int:
    lines = [line for line in output.splitlines() if line.startswith("SENT ")]
    return int(lines[-1].split()[1]) if lines else -1


def _markdown(found: dict[str, Any]) -> str:
    rows = [
        ("recipients", f"{found['recipients']:,} ({found['audience']} audience)"),
        (
            "queued / sent / failed",
            f"{found['queued']:,} / {found['sent']:,} / {found['failed']:,}",
        ),
        (
            "queueing: decide, claim, outbox (workers stopped)",
            f"{found['queueing_seconds']} s: {found['queued_per_second']:,} recipients/s",
        ),
        (
            "sending: workers started to the last send recorded",
            f"{found['sending_seconds']} s: {found['sent_per_second']:,} messages/s",
        ),
        (
            "Redis round trips per recipient, queueing",
            str(found["round_trips_queueing_per_recipient"]),
        ),
        (
            "Redis round trips per recipient, sending",
            f"{found['round_trips_sending_per_recipient']} "
            f"({found['round_trips_sending_per_recipient_less_idle']} less idle polling)",
        ),
        ("sends the emulator accepted", f"{found['emulator_accepted']:,}"),
    ]
    lines = [f"## Bulk notification (commit `{found['commit']}`)", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
