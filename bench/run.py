"""``python -m bench.run``: PERF-1 and PERF-2 in one run, the ceiling first, then the app.

With ``--workers N`` the bot runs as ``bot.py serve --workers N`` and the ceiling is measured
with as many baseline processes on one port, and with one for reference.

With ``--fanout`` (PERF-4) the app is measured twice in the run, each time on keys of its
own: with 1 service, then with 3 on the same number, the first the parent with the
automation and no ``bot`` service, so the other two get every reply's event masked.

Every part is a process of its own on this machine: the load generator, the baseline or
the bot, the Graph API emulator, the subscriber sinks and Redis. They share the cores, so
the numbers are those of the whole stack on one box, not of the bot alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from types import FrameType
from typing import Any

from redis import Redis

from bench import report
from bench.phases import (
    BASELINE_PASSES,
    FANOUT_SERVICES,
    RESULTS,
    Options,
    run_app,
    run_baseline,
    run_floor,
)
from bench.procs import ROOT, Child, machine_busy_seconds
from bot.model import MAX_BATCH
from tests.botprocess import free_port


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--messages", type=int, default=5000, help="measured webhooks")
    parser.add_argument("--warmup", type=int, default=300, help="webhooks before measuring")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--subscribers", type=int, default=1, help="subscriber sinks (S)")
    parser.add_argument("--shards", type=int, default=8, help="SWITCHBOARD_SHARDS of the bot")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="bot processes on one port (serve --workers N); the baseline runs as many",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run py-spy on the bot during the measured load (with --workers 1 only)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--private-redis",
        action="store_true",
        help="start a redis-server of its own, so INFO commandstats counts this run alone",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="pace the app's measured load at this many msg/s (0: as fast as it accepts); "
        "for latency below saturation",
    )
    parser.add_argument(
        "--fanout",
        action="store_true",
        help="PERF-4: the app with 1 service, then with 3 (the parent's replies masked for "
        "the other two); deliveries/s and latency to the last delivery side by side",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        metavar="N",
        help="the sinks' services also take up to N events per POST: the app with fan-out is "
        "then measured four times, without and with batches in turn (A/B/A/B)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure bench.floor, the least I/O per message on this stack (webhook, one "
        "XADD, batched reads, a signed POST per event, the replies), with the same load, sinks "
        "and Graph emulator: the app's figures over the floor's say how close it came",
    )
    parser.add_argument(
        "--floor-grouped",
        action="store_true",
        help="--floor, with the floor's webhooks appending as the bot's do: the XADDs of "
        "concurrent requests in one pipeline (stores/autopipe.py) instead of one each",
    )
    args = parser.parse_args(argv)
    args.floor = args.floor or args.floor_grouped
    if not 0 <= args.batch <= MAX_BATCH:
        parser.error(f"--batch takes 1 to {MAX_BATCH}")
    counts = (args.messages, args.concurrency, args.customers, args.subscribers, args.shards)
    if min(*counts, args.workers) < 1:
        parser.error(
            "--messages, --concurrency, --customers, --subscribers, --shards and --workers "
            "must be >= 1"
        )
    if args.fanout and args.subscribers != 1:
        parser.error(f"--fanout measures 1 and then {FANOUT_SERVICES} services: drop --subscribers")
    if args.floor and (args.workers > 1 or args.batch):
        parser.error("--floor is one process without batches: not with --workers or --batch")
    if args.profile and args.workers > 1:
        parser.error("--profile samples one process: use it with --workers 1")
    return Options(
        messages=args.messages,
        warmup=args.warmup,
        concurrency=args.concurrency,
        customers=args.customers,
        subscribers=args.subscribers,
        shards=args.shards,
        profile=args.profile,
        redis_url=args.redis_url,
        private_redis=args.private_redis,
        rate=args.rate,
        workers=args.workers,
        fanout=args.fanout,
        batch=args.batch,
        floor=args.floor,
        floor_grouped=args.floor_grouped,
    )


FANOUT_FIGURES = (
    "per_second",
    "end_to_end_per_second",
    "delivered_ms_p50",
    "delivered_ms_p99",
    "delivered_ms_max",
    "errors",
    "duplicate_deliveries",
    "settle_seconds",
)


def fanout_side_by_side(results: dict[str, Any]) -> dict[str, Any]:
    """PERF-4's figures of the two app runs, keyed by their number of services."""
    side: dict[str, Any] = {}
    for key in ("app", "app_fanout"):
        app = results[key]
        figures = {name: app[name] for name in FANOUT_FIGURES}
        fanout = app["fanout"]
        figures["deliveries"] = fanout["deliveries"]
        figures["deliveries_per_second"] = fanout["deliveries_per_second"]
        figures["deliveries_window_seconds"] = fanout["window_seconds"]
        figures["deliveries_by_sink"] = fanout["by_sink"]
        figures["bot_cpu_ms_per_message"] = app["cpu_seconds"]["bot"] / app["accepted"] * 1000
        figures["others_cpu_share"] = app["cpu_seconds"]["others"] / (
            app["cpu_seconds"]["window_seconds"] * results["machine"]["cpus"]
        )
        figures["masking"] = fanout["masking"]
        side[str(app["subscribers"])] = figures
    return side


def drop_prefix(redis: Redis, prefix: str) -> int:
    """Delete every key of this run; SCAN, as a one-off tool may."""
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        redis.delete(*keys[start : start + 500])
    return len(keys)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds the ExitStack, so a terminated benchmark still ends its processes.
    raise SystemExit(128 + signum)


def background_load(seconds: float = 1.0) -> float:
    """Cores busy on the machine before the run starts: other processes' work, say."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / seconds


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    prefix = f"bench:{secrets.token_hex(6)}:"
    # Logs and the generator's raw timings stay here for a look after a failed run.
    workdir = RESULTS / "logs"
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"prefix": prefix, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    busy = background_load()
    results["background_load_cores"] = busy
    if busy > 0.25:
        print(
            f"warning: the machine is already {busy:.2f} cores busy; the results will show it",
            file=sys.stderr,
        )
    try:
        run(options, prefix, workdir, results)
    except Exception:
        print(f"the run failed; the logs of its processes are in {workdir}", file=sys.stderr)
        raise
    app, ceiling = results["app"], results["baseline"]["per_second"]
    results["ratio"] = app["per_second"] / ceiling
    results["ratio_end_to_end"] = app["end_to_end_per_second"] / ceiling
    if "baseline_single" in results:
        single = results["baseline_single"]["per_second"]
        results["ratio_single"] = app["per_second"] / single
        results["ratio_end_to_end_single"] = app["end_to_end_per_second"] / single
    if "app_fanout" in results:
        results["fanout"] = fanout_side_by_side(results)
    if "floor" in results:
        results["floor_ratio"] = results["floor"]["per_second"] / ceiling
        results["floor_ratio_end_to_end"] = results["floor"]["end_to_end_per_second"] / ceiling
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report.render(results))
    for row in results.get("batch_ab", []):
        print(
            f"fan-out batch {row['batch'] or 'off':>3}: {row['deliveries_per_second'] or 0:7.0f} "
            f"deliveries/s in {row['posts']} POSTs, bot {row['bot_cpu_ms_per_message']:.2f} ms "
            f"CPU/message, others {row['others_cpu_share']:.0%} of the machine"
        )
    print(f"\nJSON: {(RESULTS / 'latest.json').relative_to(ROOT)}", file=sys.stderr)
    return 0


def run(options: Options, prefix: str, workdir: Path, results: dict[str, Any]) -> None:
    """Both phases; every process they start is stopped on the way out, failure or not."""
    with contextlib.ExitStack() as stack:
        if options.private_redis:
            server = Child.redis_server(workdir, free_port())
            stack.callback(server.stop)
            server.start()
            options = replace(options, redis_url=server.url)
        redis = Redis.from_url(options.redis_url, decode_responses=True)
        stack.callback(redis.close)
        # Runs after every process of the run has stopped, so nothing writes keys again.
        stack.callback(lambda: results.update(keys_deleted=drop_prefix(redis, prefix)))
        results["options"] = asdict(options)
        results["machine"] = report.machine(redis)
        workers = options.workers
        print(
            f"baseline, {workers} process(es): {BASELINE_PASSES} x {options.messages} webhooks ...",
            file=sys.stderr,
        )
        results["baseline"] = run_baseline(options, prefix, workdir, redis, stack, workers)
        if workers > 1:
            print("baseline, 1 process, for reference ...", file=sys.stderr)
            results["baseline_single"] = run_baseline(options, prefix, workdir, redis, stack, 1)
        if options.floor:
            # Keys of its own for each service count, as the app's runs below.
            for key, services in (
                [("floor", 1), ("floor_fanout", FANOUT_SERVICES)]
                if options.fanout
                else [("floor", options.subscribers)]
            ):
                print(
                    f"floor, {services} subscriber(s): {options.messages} webhooks ...",
                    file=sys.stderr,
                )
                results[key] = run_floor(
                    options, f"{prefix}floor-s{services}:", workdir, redis, stack, services
                )
        unbatched = replace(options, batch=0)
        if not options.fanout:
            print(
                f"app, {workers} worker(s), {options.subscribers} subscriber(s): "
                f"{options.messages} webhooks ...",
                file=sys.stderr,
            )
            results["app"] = run_app(unbatched, prefix, workdir, redis, stack)
            if options.batch:
                run_batch_ab(options, prefix, workdir, redis, stack, results, options.subscribers)
            return
        # Keys of their own for each app run: the same customers are first contacts again
        # (so get the welcome again), and the second run's attachments start from none.
        for key, services in (("app", 1), ("app_fanout", FANOUT_SERVICES)):
            print(
                f"app, {workers} worker(s), {services} service(s), fan-out config: "
                f"{options.messages} webhooks ...",
                file=sys.stderr,
            )
            # py-spy, if asked for, watches the run with fan-out to every service.
            phase = replace(unbatched, profile=options.profile and services > 1)
            results[key] = run_app(
                phase, f"{prefix}s{services}:", workdir, redis, stack, subscribers=services
            )
        if options.batch:
            run_batch_ab(options, prefix, workdir, redis, stack, results, FANOUT_SERVICES)


def run_batch_ab(
    options: Options,
    prefix: str,
    workdir: Path,
    redis: Redis,
    stack: contextlib.ExitStack,
    results: dict[str, Any],
    services: int,
) -> None:
    """The app with ``services`` sinks without batches (A) and with them (B), in turn: the
    run just made is the first A, then B, A, B. On a shared machine the load of others
    drifts; taking turns lets it weigh on both alike."""
    first = results["app_fanout" if options.fanout else "app"]
    runs = [first]
    for turn, batch in enumerate((options.batch, 0, options.batch), start=2):
        label = f"{'B' if batch else 'A'}{(turn + 1) // 2}"
        print(f"app, {services} service(s), {label}: batch {batch or 'off'} ...", file=sys.stderr)
        phase = replace(options, batch=batch, profile=False)
        own = f"{prefix}ab{turn}:"
        runs.append(run_app(phase, own, workdir, redis, stack, subscribers=services))
    results["batch_ab"] = [batch_figures(run, results) for run in runs]


def batch_figures(app: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    """One A/B run's figures: fan-out deliveries/s, POSTs, the bot's CPU per message."""
    fanout = app.get("fanout") or {}
    return {
        "batch": app.get("batch", 0),
        "deliveries": fanout.get("deliveries"),
        "posts": fanout.get("posts"),
        "deliveries_per_second": fanout.get("deliveries_per_second"),
        "per_second": app["per_second"],
        "end_to_end_per_second": app["end_to_end_per_second"],
        "delivered_ms_p50": app["delivered_ms_p50"],
        "delivered_ms_p99": app["delivered_ms_p99"],
        "bot_cpu_ms_per_message": app["cpu_seconds"]["bot"] / app["accepted"] * 1000,
        "others_cpu_share": app["cpu_seconds"]["others"]
        / (app["cpu_seconds"]["window_seconds"] * results["machine"]["cpus"]),
        "masking_ok": (fanout.get("masking") or {}).get("ok"),
        "duplicate_deliveries": app["duplicate_deliveries"],
    }


if __name__ == "__main__":
    sys.exit(main())
