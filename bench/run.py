"""``python -m bench.run``: PERF-1 and PERF-2 in one run, the ceiling first, then the app.

Every part is a process of its own on this machine: the load generator, the baseline or
the bot, the Graph API emulator, the subscriber sinks and Redis. They share the cores, so
the numbers are those of the whole stack on one box, not of the bot alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from redis import Redis

from bench import measure, report
from bench.procs import ROOT, Child, cpu_seconds
from bench.profiling import Profiler, summarize
from bot.model import derived_id
from tests.botprocess import BotProcess

PHONE_NUMBER_ID = "106540352242922"
RESULTS = ROOT / "bench" / "results"
SECRET_ENV = "BENCH_APP_SECRET"

AUTOMATION = {
    "welcome": "Hi! Thanks for getting in touch. How can we help?",
    "rules": [
        {
            "keywords": ["hours", "opening times"],
            "reply": "We're open 9:00 to 17:30.",
            "priority": 10,
        },
        {"keywords": ["price", "prices", "pricing"], "reply": "Plans start at 9 a month."},
    ],
}


@dataclass(frozen=True)
class Options:
    messages: int
    warmup: int
    concurrency: int
    customers: int
    subscribers: int
    shards: int
    profile: bool
    redis_url: str


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--messages", type=int, default=5000, help="measured webhooks")
    parser.add_argument("--warmup", type=int, default=300, help="webhooks before measuring")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--subscribers", type=int, default=1, help="subscriber sinks (S)")
    parser.add_argument("--shards", type=int, default=8, help="SWITCHBOARD_SHARDS of the bot")
    parser.add_argument(
        "--profile", action="store_true", help="run py-spy on the bot during the measured load"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    if min(args.messages, args.concurrency, args.customers, args.subscribers) < 1:
        parser.error("--messages, --concurrency, --customers and --subscribers must be >= 1")
    return Options(
        args.messages,
        args.warmup,
        args.concurrency,
        args.customers,
        args.subscribers,
        args.shards,
        args.profile,
        args.redis_url,
    )


class LoadGenerator:
    """Runs ``bench.loadgen`` in its own process, so it never shares the bot's event loop."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir

    def fire(self, url: str, app_secret: str, count: int, seed: int, name: str) -> dict[str, Any]:
        out = self.workdir / f"load-{name}.json"
        command = [
            sys.executable,
            "-m",
            "bench.loadgen",
            "--url",
            url,
            "--secret-env",
            SECRET_ENV,
            "--phone-number-id",
            PHONE_NUMBER_ID,
            "--messages",
            str(count),
            "--customers",
            str(self.options.customers),
            "--concurrency",
            str(self.options.concurrency),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ]
        # run() kills the generator on any exception, the timeout included.
        subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, SECRET_ENV: app_secret},
            check=True,
            timeout=120 + count / 10,
        )
        load: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return load


def requests_summary(load: dict[str, Any]) -> dict[str, Any]:
    """Accepted requests per second and the latency of each request, as the sender saw it."""
    ok = [row for row in load["results"] if row[3] == 200]
    wall = load["finished"] - load["started"]
    latencies = [(done - sent) * 1000 for _, sent, done, _ in ok]
    return {
        "requests": len(load["results"]),
        "accepted": len(ok),
        "errors": len(load["results"]) - len(ok),
        "wall_seconds": wall,
        "per_second": len(ok) / wall,
        "latency_ms_p50": measure.percentile(latencies, 50),
        "latency_ms_p99": measure.percentile(latencies, 99),
        "generator_cpu_seconds": load["cpu_seconds"],
    }


def redis_summary(
    before: dict[str, tuple[int, int]],
    after: dict[str, tuple[int, int]],
    own: Counter[str],
    count: int,
) -> dict[str, Any]:
    diff = measure.stats_diff(before, after, own)
    calls = sum(c for c, _ in diff.values())
    return {
        "executed_commands_per_message": calls / count,
        "server_usec_per_message": sum(u for _, u in diff.values()) / count,
        "by_command_per_message": {
            name: round(c / count, 3)
            for name, (c, _) in sorted(diff.items(), key=lambda kv: -kv[1][0])
        },
    }


def run_baseline(
    options: Options, prefix: str, workdir: Path, redis: Redis, stack: contextlib.ExitStack
) -> dict[str, Any]:
    app_secret = secrets.token_hex(16)
    baseline = Child.python(
        "baseline",
        "bench.baseline",
        ["--prefix", prefix, "--redis-url", options.redis_url],
        workdir,
        {"BASELINE_APP_SECRET": app_secret},
    )
    stack.callback(baseline.stop)
    url = baseline.start()
    load = LoadGenerator(options, workdir)
    if options.warmup:
        load.fire(url, app_secret, options.warmup, seed=1000, name="baseline-warmup")
    stats, cpu, redis_cpu = measure.command_stats(redis), baseline.cpu(), measure.redis_cpu(redis)
    measured = load.fire(url, app_secret, options.messages, seed=1, name="baseline")
    result = requests_summary(measured)
    result["cpu_seconds"] = {
        "baseline": baseline.cpu() - cpu,
        "redis": measure.redis_cpu(redis) - redis_cpu,
        "generator": measured["cpu_seconds"],
    }
    result["redis"] = redis_summary(
        stats, measure.command_stats(redis), Counter(), options.messages
    )
    baseline.stop()  # before the app runs, so the two never compete for the cores
    return result


def start_app(
    options: Options, prefix: str, workdir: Path, stack: contextlib.ExitStack
) -> tuple[BotProcess, Child, list[Child], str]:
    """The Graph emulator, the sinks and the bot, each a process; stopped by ``stack``."""
    token, app_secret = secrets.token_hex(16), secrets.token_hex(16)
    graph = Child.python(
        "graph",
        "bench.graph_api",
        ["--token-env", "BENCH_GRAPH_TOKEN"],
        workdir,
        {"BENCH_GRAPH_TOKEN": token},
    )
    stack.callback(graph.stop)
    graph_base = graph.start()
    sinks, services, env = [], [], {}
    for index in range(1, options.subscribers + 1):
        secret = secrets.token_hex(16)
        sink = Child.python(
            f"sink{index}",
            "tests.emulators.sink",
            ["--secret-env", "SINK_SECRET"],
            workdir,
            {"SINK_SECRET": secret},
        )
        stack.callback(sink.stop)
        sinks.append(sink)
        services.append(
            {
                "name": f"sub{index}",
                "url": sink.start(),
                "secret": f"${{BENCH_SINK_SECRET_{index}}}",
            }
        )
        env[f"BENCH_SINK_SECRET_{index}"] = secret
    env.update(
        {
            "REDIS_URL": options.redis_url,
            "SWITCHBOARD_KEY_PREFIX": prefix,
            "SWITCHBOARD_SHARDS": str(options.shards),
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_ACCESS_TOKEN": token,
            "WHATSAPP_APP_SECRET": app_secret,
            "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
            "WHATSAPP_API_BASE": graph_base,
        }
    )
    bot = BotProcess(env=env, config={"services": services, "automation": AUTOMATION})

    def close_bot() -> None:
        # The bot's log lives in a directory that close() removes: keep a copy to read.
        bot.stop()
        with contextlib.suppress(OSError):
            shutil.copy(bot.log_path, workdir / "bot.log")
        bot.close()

    stack.callback(close_bot)
    bot.start()
    return bot, graph, sinks, app_secret


def run_app(
    options: Options, prefix: str, workdir: Path, redis: Redis, stack: contextlib.ExitStack
) -> dict[str, Any]:
    bot, graph, sinks, app_secret = start_app(options, prefix, workdir, stack)
    assert bot.process is not None
    bases = [sink.url.removesuffix("/hook") for sink in sinks]
    settle = measure.Settle(
        redis, prefix, options.shards, [f"sub{i}" for i in range(1, len(sinks) + 1)]
    )
    url = f"{bot.url}/webhooks/whatsapp"
    load = LoadGenerator(options, workdir)
    timeout = 60 + options.messages / 20

    if options.warmup:
        counts = measure.sink_counts(bases)
        warm = load.fire(url, app_secret, options.warmup, seed=1000, name="app-warmup")
        measure.wait_for_events(
            bases, [inbound_event(row[0]) for row in warm["results"]], counts, timeout
        )
        settle.wait(timeout)
    # The bot polls Redis even with nothing to do; that rate sits inside the counts below.
    idle_before, idle_started = measure.bot_metrics(bot.url), time.monotonic()
    time.sleep(2.0)
    idle_after, idle_seconds = measure.bot_metrics(bot.url), time.monotonic() - idle_started

    cpu_of: dict[str, Callable[[], float]] = {
        "bot": lambda: cpu_seconds(bot.process.pid),  # type: ignore[union-attr]
        "redis": lambda: measure.redis_cpu(redis),
        "sinks": lambda: sum(sink.cpu() for sink in sinks),
        "graph": graph.cpu,
    }
    counts = measure.sink_counts(bases)
    settle.own.clear()
    metrics, stats = measure.bot_metrics(bot.url), measure.command_stats(redis)
    cpu = {name: read() for name, read in cpu_of.items()}
    profiler = None
    if options.profile:
        RESULTS.mkdir(parents=True, exist_ok=True)
        profiler = Profiler(bot.process.pid, RESULTS, max_seconds=int(timeout) + 60)
        stack.callback(profiler.stop)
        profiler.start()

    measured = load.fire(url, app_secret, options.messages, seed=1, name="app")
    event_ids = [inbound_event(row[0]) for row in measured["results"] if row[3] == 200]
    arrivals = measure.wait_for_events(bases, event_ids, counts, timeout)
    settled_at = settle.wait(timeout)
    if profiler:
        profiler.stop()
    cpu = {name: read() - cpu[name] for name, read in cpu_of.items()}
    cpu["generator"] = measured["cpu_seconds"]
    metrics_after = measure.bot_metrics(bot.url)
    stats_after = measure.command_stats(redis)

    result = requests_summary(measured)
    result.update(delivery_summary(measured, arrivals))
    result["settle_seconds"] = settled_at - measured["started"]
    result["cpu_seconds"] = cpu
    n = options.messages
    diff = {name: metrics_after.get(name, 0) - metrics.get(name, 0) for name in metrics_after}
    result["bot_counters"] = diff
    result["redis"] = redis_summary(stats, stats_after, settle.own, n)
    result["redis"].update(
        {
            "commands_per_message": diff["redis_commands_total"] / n,
            "round_trips_per_message": diff["redis_round_trips_total"] / n,
            "idle_commands_per_second": (
                idle_after["redis_commands_total"] - idle_before["redis_commands_total"]
            )
            / idle_seconds,
            "idle_round_trips_per_second": (
                idle_after["redis_round_trips_total"] - idle_before["redis_round_trips_total"]
            )
            / idle_seconds,
        }
    )
    if profiler:
        window = settled_at - measured["started"]
        result["profile"] = summarize(profiler.raw_path, window, profiler.rate)
        result["profile"]["svg"] = str(profiler.svg_path.relative_to(ROOT))
    bot.stop()
    graph.stop()
    result["graph_sends_total"] = graph_sends(graph)
    return result


def inbound_event(wamid: str) -> str:
    """The id of the message.inbound event the sinks get for a WhatsApp message id."""
    return derived_id("evt", wamid, "inbound")


def delivery_summary(load: dict[str, Any], arrivals: list[dict[str, float]]) -> dict[str, Any]:
    """End to end: from the POST's start until every sink has the message.inbound event."""
    sent = {inbound_event(row[0]): row[1] for row in load["results"] if row[3] == 200}
    latencies = [(max(sink[eid] for sink in arrivals) - at) * 1000 for eid, at in sent.items()]
    last = max(max(sink.values()) for sink in arrivals)
    wall = last - load["started"]
    return {
        "end_to_end_seconds": wall,
        "end_to_end_per_second": len(sent) / wall,
        "delivered_ms_p50": measure.percentile(latencies, 50),
        "delivered_ms_p99": measure.percentile(latencies, 99),
        "delivered_ms_max": max(latencies),
    }


def graph_sends(graph: Child) -> int | None:
    for line in graph.output().splitlines():
        if line.startswith("SENT "):
            return int(line.split()[1])
    return None


def drop_prefix(redis: Redis, prefix: str) -> int:
    """Delete every key of this run; SCAN, as a one-off tool may."""
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        redis.delete(*keys[start : start + 500])
    return len(keys)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds the ExitStack, so a terminated benchmark still ends its processes.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    prefix = f"bench:{secrets.token_hex(6)}:"
    redis = Redis.from_url(options.redis_url, decode_responses=True)
    results: dict[str, Any] = {
        "options": asdict(options),
        "prefix": prefix,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": report.machine(redis),
    }
    # Logs and the generator's raw timings stay here for a look after a failed run.
    workdir = RESULTS / "logs"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.ExitStack() as stack:
            print(f"baseline: {options.messages} webhooks ...", file=sys.stderr)
            results["baseline"] = run_baseline(options, prefix, workdir, redis, stack)
            print(
                f"app, {options.subscribers} subscriber(s): {options.messages} webhooks ...",
                file=sys.stderr,
            )
            results["app"] = run_app(options, prefix, workdir, redis, stack)
    finally:
        results["keys_deleted"] = drop_prefix(redis, prefix)
        redis.close()
    results["ratio"] = results["app"]["per_second"] / results["baseline"]["per_second"]
    results["ratio_end_to_end"] = (
        results["app"]["end_to_end_per_second"] / results["baseline"]["per_second"]
    )
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report.render(results))
    print(f"\nJSON: {(RESULTS / 'latest.json').relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
