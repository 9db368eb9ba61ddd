"""``python -m bench.idle``: the Redis commands an idle bot runs, per second, by command.

The bot runs as a real process (``python bot.py``) on a private ``redis-server`` on a free
port, so that ``INFO commandstats`` counts this bot alone, exactly. Once it is ready and has
settled, the counters are read before and after a window in which nothing happens; the
difference, less this script's own ``INFO`` calls, is what the idle bot made Redis do.
Commands run inside a script (``EVALSHA``) count too, each by its own name.

Two setups: ``bare`` is ``python bot.py`` with the web chat alone; ``deployment`` adds a
configured WhatsApp number and three services, as a real deployment runs (the scheduler,
the claim lapses and the fan-out run in both).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from redis import Redis

from bench.procs import Child
from tests.botprocess import BotProcess, free_port

SETTLE_SECONDS = 3.0
"""After /readyz answers: the start's own work (groups, adoption of the config) is done."""
SETUPS = ("bare", "deployment")


def commandstats(redis: Redis) -> dict[str, int]:
    """Calls so far, by command name (``xreadgroup``, ``evalsha``, ...)."""
    stats: dict[str, Any] = redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def setup(name: str, redis_url: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The environment and YAML of a setup."""
    env = {"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": f"idle{secrets.token_hex(3)}:"}
    if name == "bare":
        return env, {}
    env |= {
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "WHATSAPP_ACCESS_TOKEN": secrets.token_hex(16),
        "WHATSAPP_APP_SECRET": secrets.token_hex(16),
        "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
        # Nothing is sent while idle; a closed port makes sure of it.
        "WHATSAPP_API_BASE": f"http://127.0.0.1:{free_port()}",
    }
    services = [
        {
            "name": f"service{index}",
            "url": f"http://127.0.0.1:{free_port()}/hook",
            "secret": secrets.token_hex(16),
        }
        for index in range(3)
    ]
    return env, {"services": services}


def measure(name: str, seconds: float) -> dict[str, float]:
    """Commands per second by name over ``seconds`` of an idle bot of setup ``name``."""
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as workdir:
        server = Child.redis_server(Path(workdir), free_port())
        server.argv += ["--dir", workdir]
        server.start()
        try:
            env, config = setup(name, server.url)
            with BotProcess(env=env, config=config), Redis.from_url(server.url) as redis:
                time.sleep(SETTLE_SECONDS)
                before = commandstats(redis)
                time.sleep(seconds)
                after = commandstats(redis)
        finally:
            server.stop()
    counted = {
        command: (after[command] - before.get(command, 0)) / seconds
        for command in after
        if command != "info"  # this script's own
    }
    # The INFO of the second snapshot ran before it was counted; the first is in `before`.
    return {command: rate for command, rate in sorted(counted.items()) if rate > 0}


def render(name: str, seconds: float, rates: dict[str, float]) -> str:
    lines = [f"{name}: {sum(rates.values()):.2f} commands/s over {seconds:g} s idle"]
    for command, rate in sorted(rates.items(), key=lambda item: -item[1]):
        lines.append(f"  {command:<22} {rate:7.2f}/s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="the idle window")
    parser.add_argument("--setup", choices=(*SETUPS, "all"), default="all")
    options = parser.parse_args(argv)
    for name in SETUPS if options.setup == "all" else (options.setup,):
        print(render(name, options.seconds, measure(name, options.seconds)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
