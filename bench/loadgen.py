"""The load generator: signed WhatsApp text webhooks, fired from a process of its own.

Bodies are built and signed before the clock starts, so the measured time is HTTP only.
Writes JSON: start and end of the run (unix seconds), its own CPU time, and per request
``[wamid, sent_at, answered_at, status]`` (status 0 for a transport error).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from bench.procs import secret_from
from tests.emulators import meta_webhooks as meta

FIRST_CUSTOMER = 447700100000
"""UK mobiles 07700 100000 on. Not Ofcom's drama range 07700 900xxx: the phonenumbers
library rules those invalid, so the bot would skip the phone identity and stitch less."""

TEXTS = (
    (0.10, "Hi, what are your opening hours?"),
    (0.10, "How much are your prices for two seats?"),
    (0.80, "Hello, I have a question about my booking, reference {i}."),
)
"""One message in five hits an automation rule and gets a reply; every first contact also
gets the welcome."""

Prepared = tuple[str, bytes, str]


def wa_id(customer: int) -> str:
    return str(FIRST_CUSTOMER + customer)


def prepare(
    phone_number_id: str, app_secret: str, count: int, customers: int, seed: int
) -> list[Prepared]:
    """``count`` signed text webhooks, spread at random over ``customers``; reproducible."""
    rng = random.Random(seed)
    weights = [weight for weight, _ in TEXTS]
    now = int(time.time())
    prepared = []
    for i in range(count):
        customer = rng.randrange(customers)
        text = rng.choices([text for _, text in TEXTS], weights)[0].format(i=i)
        wamid = meta.new_message_id()
        payload = meta.text_message(
            phone_number_id,
            wa_id(customer),
            text,
            msg_id=wamid,
            name=f"Customer {customer}",
            timestamp=now,
        )
        raw = meta.encode(payload)
        prepared.append((wamid, raw, meta.sign(app_secret, raw)))
    return prepared


async def fire(
    url: str, prepared: list[Prepared], concurrency: int, rate: float = 0.0
) -> dict[str, Any]:
    """POST every body with at most ``concurrency`` requests in flight.

    With ``rate``, request i is not sent before ``start + i / rate``: a steady offered load
    below saturation, where latency says how long one message takes rather than how long
    the queue in front of it is.
    """
    results: list[list[Any]] = [[] for _ in prepared]
    pending = iter(range(len(prepared)))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            # The iterator is shared: each worker takes the next body as soon as it is free.
            for index in pending:
                if rate:
                    await asyncio.sleep(started + index / rate - time.time())
                wamid, raw, signature = prepared[index]
                headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
                sent = time.time()
                try:
                    async with session.post(url, data=raw, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                results[index] = [wamid, sent, time.time(), status]

        cpu = time.process_time()
        started = time.time()  # read by the workers, which start below
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        finished = time.time()
        cpu = time.process_time() - cpu
    return {"started": started, "finished": finished, "cpu_seconds": cpu, "results": results}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument(
        "--secret-env",
        required=True,
        help="environment variable holding the app secret to sign with",
    )
    parser.add_argument("--phone-number-id", required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=0.0, help="requests/s; 0 for no limit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    secret = secret_from(args.secret_env)
    prepared = prepare(args.phone_number_id, secret, args.messages, args.customers, args.seed)
    report = asyncio.run(fire(args.url, prepared, args.concurrency, args.rate))
    # All of it, start-up and signing included: what this process took from the machine.
    report["process_cpu_seconds"] = time.process_time()
    args.out.write_text(json.dumps(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
