"""The ceiling of this stack (PERF-1): aiohttp reads the body, checks the HMAC, does ONE XADD.

Run as its own process: ``python -m bench.baseline --port P --prefix bench:x:``. It prints
``READY <url>`` once it listens and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import sys
from collections.abc import Sequence

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


async def serve(port: int, prefix: str, redis_url: str, app_secret: str) -> None:
    # Decoded replies as in the bot; the default pool has room for 64 requests in flight.
    redis = Redis.from_url(redis_url, decode_responses=True)
    runner = web.AppRunner(build_app(redis, app_secret, f"{prefix}baseline"), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    host, bound = runner.addresses[0][:2]
    print(f"READY http://{host}:{bound}{PATH}", flush=True)
    try:
        await until_signalled()
    finally:
        await runner.cleanup()
        await redis.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--prefix", required=True, help="key prefix of the stream it appends to")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--secret-env", default=SECRET_ENV, help="environment variable holding the app secret"
    )
    args = parser.parse_args(argv)
    secret = secret_from(args.secret_env)
    asyncio.run(serve(args.port, args.prefix, args.redis_url, secret))
    return 0


if __name__ == "__main__":
    sys.exit(main())
