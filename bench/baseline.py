"""The ceiling of this stack (PERF-1): aiohttp reads the body, checks the HMAC, does ONE XADD.

Run as its own process: ``python -m bench.baseline --port P --prefix bench:x:``. It prints
``READY <url>`` once it listens and stops on SIGTERM. With ``--processes N`` (N > 1) it
starts N server processes on one port with SO_REUSEPORT, as ``bot.py serve --workers N``
does, and prints ``READY`` once all of them listen.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import multiprocessing
import os
import queue
import signal
import socket
import sys
import time
from collections.abc import Sequence
from multiprocessing.queues import Queue

from aiohttp import web
from redis.asyncio import Redis

from bench.procs import secret_from, until_signalled

PATH = "/webhooks/whatsapp"
SECRET_ENV = "BASELINE_APP_SECRET"


def build_app(redis: Redis, app_secret: str, stream: str) -> web.Application:
    """The one route; everything the app does beyond this is what the comparison measures."""
    key = app_secret.encode()

    async def webhook(request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
            return web.json_response({"error": "bad signature"}, status=401)
        await redis.xadd(stream, {"d": raw})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post(PATH, webhook)
    return app


async def serve(
    port: int,
    prefix: str,
    redis_url: str,
    app_secret: str,
    *,
    reuse_port: bool = False,
    ready: Queue[str] | None = None,
) -> None:
    # Decoded replies as in the bot; the default pool has room for 64 requests in flight.
    redis = Redis.from_url(redis_url, decode_responses=True)
    runner = web.AppRunner(build_app(redis, app_secret, f"{prefix}baseline"), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=reuse_port).start()
    host, bound = runner.addresses[0][:2]
    url = f"http://{host}:{bound}{PATH}"
    if ready is None:
        print(f"READY {url}", flush=True)
    else:
        ready.put(url)
    try:
        await until_signalled()
    finally:
        await runner.cleanup()
        await redis.aclose()


def _worker(port: int, prefix: str, redis_url: str, app_secret: str, ready: Queue[str]) -> None:
    asyncio.run(serve(port, prefix, redis_url, app_secret, reuse_port=True, ready=ready))


def serve_processes(count: int, port: int, prefix: str, redis_url: str, app_secret: str) -> int:
    """``count`` server processes on one port; the kernel spreads the connections over them."""
    context = multiprocessing.get_context("spawn")
    ready: Queue[str] = context.Queue()
    # A bound socket that never listens keeps the port for the workers, takes no connection.
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", port))
        port = holder.getsockname()[1]
        children = [
            context.Process(
                target=_worker,
                args=(port, prefix, redis_url, app_secret, ready),
                name=f"baseline-{n}",
            )
            for n in range(count)
        ]

        def forward(signum: int, _frame: object) -> None:
            for child in children:
                if child.pid and child.is_alive():
                    os.kill(child.pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        for child in children:
            child.start()
        urls: list[str] = []
        deadline = time.monotonic() + 30
        while len(urls) < count and time.monotonic() < deadline:
            if not all(child.is_alive() for child in children):
                break
            with contextlib.suppress(queue.Empty):
                urls.append(ready.get(timeout=0.1))
    if len(urls) == count:
        print(f"READY {urls[0]}", flush=True)
    else:
        print(f"only {len(urls)} of {count} processes started", flush=True)
        forward(signal.SIGTERM, None)
    for child in children:
        child.join()
    return max(child.exitcode or 0 for child in children)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--prefix", required=True, help="key prefix of the stream it appends to")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--secret-env", default=SECRET_ENV, help="environment variable holding the app secret"
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes sharing the port (SO_REUSEPORT)"
    )
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    secret = secret_from(args.secret_env)
    if args.processes > 1:
        return serve_processes(args.processes, args.port, args.prefix, args.redis_url, secret)
    asyncio.run(serve(args.port, args.prefix, args.redis_url, secret))
    return 0


if __name__ == "__main__":
    sys.exit(main())
