"""``python -m bench.idle``: the Redis commands an idle bot runs, per second, by command.

The bot runs as a real process (``python bot.py``) on a private ``redis-server`` on a free
port, so that ``INFO commandstats`` counts this bot alone, exactly. Once it is ready and has
settled, the counters are read before and after a window in which nothing happens; the
difference, less this script's own ``INFO`` calls, is what the idle bot made Redis do.
Commands run inside a script (``EVALSHA``) count there too, each by its own name; the
commands the bot sent (a script one, each command of a pipeline one) are counted apart,
by ``MONITOR`` over the same window.

Two setups: ``bare`` is ``python bot.py`` with the web chat alone; ``deployment`` adds a
configured WhatsApp number and three services, as a real deployment runs (the scheduler,
the claim lapses and the fan-out run in both).
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import threading
import time
from collections import Counter
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


class Sent:
    """The commands clients sent, by name, from ``MONITOR`` in a thread: what the server ran
    inside scripts and what ``ours`` (this script's connection, ``ip:port``) sent are not
    counted."""

    def __init__(self, url: str, ours: str) -> None:
        self.url = url
        self.ours = ours
        self.counts: Counter[str] = Counter()
        self.window = (float("inf"), float("inf"))
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        # No read timeout: an idle bot may send nothing for longer than the default.
        with Redis.from_url(self.url, socket_timeout=None) as redis, redis.monitor() as monitor:
            for command in monitor.listen():
                start, end = self.window
                if command["time"] > end:
                    return
                source = f"{command['client_address']}:{command['client_port']}"
                if command["time"] >= start and command["client_type"] != "lua":
                    if source != self.ours:
                        self.counts[command["command"].split(" ", 1)[0].lower()] += 1

    def finish(self, redis: Redis) -> None:
        redis.ping()  # a command after the window's end, so the watch sees it is over
        self._thread.join(timeout=30)


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


def measure(name: str, seconds: float) -> tuple[dict[str, float], dict[str, float]]:
    """Commands per second by name over ``seconds`` of an idle bot of setup ``name``: those
    Redis ran (scripts' own included) and those the bot sent."""
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as workdir:
        server = Child.redis_server(Path(workdir), free_port())
        server.argv += ["--dir", workdir]
        server.start()
        try:
            env, config = setup(name, server.url)
            with BotProcess(env=env, config=config), Redis.from_url(server.url) as redis:
                sent = Sent(server.url, str(redis.client_info()["addr"]))
                sent.start()
                time.sleep(SETTLE_SECONDS)
                began = time.time()
                sent.window = (began, began + seconds)
                before = commandstats(redis)
                time.sleep(seconds)
                after = commandstats(redis)
                sent.finish(redis)
        finally:
            server.stop()
    counted = {
        command: (after[command] - before.get(command, 0)) / seconds
        for command in after
        if command != "info"  # this script's own
    }
    ran = {command: rate for command, rate in counted.items() if rate > 0}
    return ran, {command: count / seconds for command, count in sent.counts.items()}


def render(name: str, seconds: float, ran: dict[str, float], sent: dict[str, float]) -> str:
    lines = [
        f"{name}, {seconds:g} s idle: {sum(sent.values()):.2f} commands/s sent by the bot, "
        f"{sum(ran.values()):.2f}/s run by Redis (scripts' own included)",
        f"  {'command':<22} {'sent':>8} {'run':>8}",
    ]
    for command in sorted(ran.keys() | sent.keys(), key=lambda c: (-ran.get(c, 0.0), c)):
        lines.append(
            f"  {command:<22} {sent.get(command, 0.0):7.2f}/s {ran.get(command, 0.0):7.2f}/s"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="the idle window")
    parser.add_argument("--setup", choices=(*SETUPS, "all"), default="all")
    options = parser.parse_args(argv)
    for name in SETUPS if options.setup == "all" else (options.setup,):
        print(render(name, options.seconds, *measure(name, options.seconds)), flush=True)


if __name__ == "__main__":
    main()
