"""The two measured phases: the baseline's ceiling, then the app with its emulators and sinks."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis import Redis

from bench import measure
from bench.floor import PATH as FLOOR_PATH
from bench.procs import ROOT, Child, ProcessTree
from bench.profiling import Profiler, summarize
from bot.model import derived_id
from tests.botprocess import BotProcess

PHONE_NUMBER_ID = "106540352242922"
RESULTS = ROOT / "bench" / "results"
SECRET_ENV = "BENCH_APP_SECRET"
IDLE_SECONDS = 2.0
"""How long the idle bot's background Redis traffic is watched before the measured load."""
BASELINE_PASSES = 3
"""The baseline is short and noisy on a shared VM: its median pass is the ceiling."""
SHARD_SPLIT_SECONDS = 10.0
"""How long N workers may take to share the shards out fairly before the measured load."""

AUTOMATION: dict[str, Any] = {
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


FANOUT_SERVICES = 3
"""The services of ``--fanout``'s second app run: the parent and two that mask its replies."""
REPLY_TEXTS: tuple[str, ...] = (
    AUTOMATION["welcome"],
    *(rule["reply"] for rule in AUTOMATION["rules"]),
)
"""Every text the automation answers with: none may reach a service that masks."""


def services_config(services: list[dict[str, Any]], fanout: bool, batch: int = 0) -> dict[str, Any]:
    """The bot's config file. By default the runtime's ``bot`` service is the parent and
    carries the automation, whose replies no service masks. With ``fanout`` there is no ``bot``
    service: the first sink's service is the parent and carries the automation, and the others
    mask its replies (their ``message.outbound`` events come without the text). With
    ``batch`` every sink's service takes up to that many events in one POST."""
    if batch:
        services = [service | {"batch": {"max_events": batch}} for service in services]
    if not fanout:
        return {"services": services, "automation": AUTOMATION}
    services = [dict(service) for service in services]
    services[0]["automation"] = AUTOMATION
    for service in services[1:]:
        service["mask"] = True
    return {"runtime_service": False, "services": services}


@dataclass(frozen=True)
class Options:
    """One run's settings; see ``python -m bench.run --help``."""

    messages: int
    warmup: int
    concurrency: int
    customers: int
    subscribers: int
    shards: int
    profile: bool
    redis_url: str
    private_redis: bool
    rate: float
    workers: int = 1
    """``bot.py serve --workers N``; the baseline runs as many processes on one port."""
    fanout: bool = False
    """Measure the app twice, with 1 and with ``FANOUT_SERVICES`` services on a number whose
    parent is the first of them (no ``bot`` service), the others masking its replies."""
    batch: int = 0
    """Events per POST for the sinks' services; 0: one event per POST."""
    floor: bool = False
    """Also measure ``bench.floor`` (the least I/O per message) with the same load, sinks
    and Graph emulator; the sinks are then ``bench.sink`` for the app too."""
    floor_grouped: bool = False
    """The floor's webhooks append as the bot's do, grouped in one pipeline per turn."""


class LoadGenerator:
    """Runs ``bench.loadgen`` in its own process, so it never shares the bot's event loop."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir

    def fire(
        self, url: str, app_secret: str, count: int, seed: int, name: str, rate: float = 0.0
    ) -> dict[str, Any]:
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
            "--rate",
            str(rate),
        ]
        # run() kills the generator on any exception, the timeout included.
        subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, SECRET_ENV: app_secret},
            check=True,
            timeout=120 + count / 10 + (count / rate if rate else 0),
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
        # A script's usec include those of the commands it ran, which count on their own too.
        "usec_by_command_per_message": {
            name: round(u / count, 2)
            for name, (_, u) in sorted(diff.items(), key=lambda kv: -kv[1][1])
        },
    }


def run_baseline(
    options: Options,
    prefix: str,
    workdir: Path,
    redis: Redis,
    stack: contextlib.ExitStack,
    processes: int = 1,
) -> dict[str, Any]:
    """The ceiling with ``processes`` server processes on one port; the median of its passes."""
    app_secret = secrets.token_hex(16)
    name = "baseline" if processes == 1 else f"baseline-x{processes}"
    baseline = Child.python(
        name,
        "bench.baseline",
        [
            "--prefix",
            prefix,
            "--redis-url",
            options.redis_url,
            "--processes",
            str(processes),
        ],
        workdir,
        {"BASELINE_APP_SECRET": app_secret},
    )
    stack.callback(baseline.stop)
    url = baseline.start()
    tree = ProcessTree(baseline.pid)
    tree.refresh()
    load = LoadGenerator(options, workdir)
    if options.warmup:
        load.fire(url, app_secret, options.warmup, seed=1000, name=f"{name}-warmup")
    meter = measure.CpuMeter(
        {"baseline": tree.cpu, "redis": lambda: measure.redis_cpu(redis)}, tree.pids
    )
    stats = measure.command_stats(redis)
    split = tree.cpu_by_process()
    meter.start()
    passes = [
        load.fire(url, app_secret, options.messages, seed=1 + index, name=f"{name}-{index}")
        for index in range(BASELINE_PASSES)
    ]
    summaries = sorted((requests_summary(load) for load in passes), key=lambda s: s["per_second"])
    result = summaries[len(summaries) // 2]
    result["processes"] = processes
    result["passes_per_second"] = [summary["per_second"] for summary in summaries]
    # CPU and Redis work over all passes, per pass: comparable with the app's one pass.
    total = {
        key: sum(load[key] for load in passes) for key in ("cpu_seconds", "process_cpu_seconds")
    }
    cpu = meter.stop(total)
    cpu["others_top"] = [(name, used / BASELINE_PASSES) for name, used in cpu["others_top"]]
    result["cpu_seconds"] = {
        key: value / BASELINE_PASSES if isinstance(value, float) else value
        for key, value in cpu.items()
    }
    result["cpu_seconds_by_process"] = _split(split, tree, BASELINE_PASSES)
    result["redis"] = redis_summary(
        stats, measure.command_stats(redis), Counter(), options.messages * BASELINE_PASSES
    )
    baseline.stop()  # before the next phase, so the two never compete for the cores
    return result


def _split(before: dict[int, float], tree: ProcessTree, passes: int = 1) -> list[float]:
    """CPU seconds of each process of a server over the window, busiest first."""
    after = tree.cpu_by_process()
    used = [(after[pid] - before.get(pid, 0.0)) / passes for pid in after]
    return sorted(used, reverse=True)


@dataclass(frozen=True)
class Emulators:
    """The Graph API emulator and the subscriber sinks of one measured server."""

    graph: Child
    graph_base: str
    token: str
    sinks: list[Child]
    secrets: list[str]
    """Each sink's signing secret, in the order of ``sinks``."""


def start_emulators(
    options: Options, workdir: Path, stack: contextlib.ExitStack, subscribers: int
) -> Emulators:
    """The Graph emulator and ``subscribers`` sinks, each a process; stopped by ``stack``.

    With ``--fanout`` or ``--floor`` the sinks are ``bench.sink``, which also count what they
    were sent: deliveries per second and the masking check."""
    token = secrets.token_hex(16)
    graph = Child.python(
        "graph",
        "bench.graph_api",
        ["--token-env", "BENCH_GRAPH_TOKEN"],
        workdir,
        {"BENCH_GRAPH_TOKEN": token},
    )
    stack.callback(graph.stop)
    graph_base = graph.start()
    sinks, keys = [], []
    module, watch = "tests.emulators.sink", []
    if options.fanout or options.batch or options.floor:
        module, watch = "bench.sink", [arg for text in REPLY_TEXTS for arg in ("--watch", text)]
    for index in range(1, subscribers + 1):
        secret = secrets.token_hex(16)
        sink = Child.python(
            f"sink{index}",
            module,
            ["--secret-env", "SINK_SECRET", *watch],
            workdir,
            {"SINK_SECRET": secret},
        )
        stack.callback(sink.stop)
        sink.start()
        sinks.append(sink)
        keys.append(secret)
    return Emulators(graph, graph_base, token, sinks, keys)


def start_app(
    options: Options, prefix: str, workdir: Path, stack: contextlib.ExitStack, subscribers: int
) -> tuple[BotProcess, ProcessTree, Child, list[Child], str]:
    """The Graph emulator, the sinks and the bot (N workers), each a process; stopped by
    ``stack``. The tree is the bot's parent and every process below it."""
    emulators = start_emulators(options, workdir, stack, subscribers)
    graph, sinks = emulators.graph, emulators.sinks
    app_secret = secrets.token_hex(16)
    services, env = [], {}
    for index, (sink, secret) in enumerate(zip(sinks, emulators.secrets, strict=True), start=1):
        services.append(
            {
                "name": f"sub{index}",
                "url": sink.url,
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
            "WHATSAPP_ACCESS_TOKEN": emulators.token,
            "WHATSAPP_APP_SECRET": app_secret,
            "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
            "WHATSAPP_API_BASE": emulators.graph_base,
            # A lifted tier: the benchmark measures Switchboard, not Meta's 80 a second.
            "WHATSAPP_MESSAGES_PER_SECOND": "1000000",
        }
    )
    bot = BotProcess(
        env=env,
        config=services_config(services, options.fanout, options.batch),
        args=("serve", "--workers", str(options.workers)),
    )
    tree: ProcessTree | None = None

    def close_bot() -> None:
        # The bot's log lives in a directory that close() removes: keep a copy to read.
        bot.stop()
        if tree is not None:
            tree.kill_leftovers()
        with contextlib.suppress(OSError):
            shutil.copy(bot.log_path, workdir / "bot.log")
        bot.close()

    stack.callback(close_bot)
    bot.start()
    assert bot.process is not None
    tree = ProcessTree(bot.process.pid)
    # /readyz answers once ONE worker serves; wait for all of them.
    deadline = time.monotonic() + 30
    while bot.output().count("Switchboard is serving") < options.workers:
        if time.monotonic() > deadline or bot.process.poll() is not None:
            raise RuntimeError(f"not all {options.workers} workers started:\n{bot.output()}")
        time.sleep(0.1)
    tree.refresh()
    return bot, tree, graph, sinks, app_secret


def run_app(
    options: Options,
    prefix: str,
    workdir: Path,
    redis: Redis,
    stack: contextlib.ExitStack,
    subscribers: int | None = None,
) -> dict[str, Any]:
    """One measured load against the app with ``subscribers`` sinks (``--subscribers``)."""
    subscribers = subscribers or options.subscribers
    bot, tree, graph, sinks, app_secret = start_app(options, prefix, workdir, stack, subscribers)
    assert bot.process is not None
    pid = bot.process.pid
    # With N workers a scrape adds up every worker's counters, but the Redis command counts
    # of the workers that did not answer it may be up to a second late (STORE_COUNTS_SECONDS
    # in bot/core/metrics.py): too coarse per message, so the client-side counts are left out.
    own_metrics = options.workers == 1
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
        measure.wait_for_events(bases, accepted_events(warm), counts, timeout)
        settle.wait(timeout)
    shard_split, fair = measure.wait_for_shard_split(
        redis, prefix, options.shards, options.workers, SHARD_SPLIT_SECONDS
    )
    if not fair:
        print(
            f"warning: the {options.workers} workers hold {shard_split} of the "
            f"{options.shards} shards after {SHARD_SPLIT_SECONDS:g} s; measuring anyway",
            file=sys.stderr,
        )
    # The bot polls Redis even with nothing to do; that rate sits inside the counts below.
    idle_before = measure.bot_metrics(bot.url) if own_metrics else {}
    idle_stats = measure.command_stats(redis)
    time.sleep(IDLE_SECONDS)
    idle_stats_after = measure.command_stats(redis)
    idle_after = measure.bot_metrics(bot.url) if own_metrics else {}

    meter = server_meter("bot", tree, redis, sinks, graph)
    counts, duplicates = measure.sink_counts(bases), measure.sink_duplicates(bases)
    inspect = options.fanout or options.batch or options.floor
    sink_stats = [measure.get_json(f"{base}/stats") for base in bases] if inspect else []
    settle.own.clear()
    metrics = measure.bot_metrics(bot.url) if own_metrics else {}
    stats = measure.command_stats(redis)
    split = tree.cpu_by_process()
    meter.start()
    profiler = None
    if options.profile:
        RESULTS.mkdir(parents=True, exist_ok=True)
        profiler = Profiler(pid, RESULTS, max_seconds=int(timeout) + 60)
        stack.callback(profiler.stop)
        profiler.start()

    measured = load.fire(url, app_secret, options.messages, seed=1, name="app", rate=options.rate)
    arrivals = measure.wait_for_events(bases, accepted_events(measured), counts, timeout)
    settled_at = settle.wait(timeout)
    if profiler:
        profiler.stop()
    cpu = meter.stop(measured)
    cpu_split = _split(split, tree)
    metrics_after = measure.bot_metrics(bot.url) if own_metrics else {}
    stats_after = measure.command_stats(redis)

    result = requests_summary(measured)
    result.update(delivery_summary(measured, arrivals))
    result["workers"] = options.workers
    result["shards_per_worker"] = shard_split
    result["shards_split_fairly"] = fair
    result["settle_seconds"] = settled_at - measured["started"]
    result["duplicate_deliveries"] = measure.sink_duplicates(bases) - duplicates
    result["subscribers"] = subscribers
    result["batch"] = options.batch
    if sink_stats:
        after = [measure.get_json(f"{base}/stats") for base in bases]
        result["fanout"] = fanout_summary(sink_stats, after, measured)
    result["cpu_seconds"] = cpu
    result["cpu_seconds_by_process"] = cpu_split
    n = options.messages
    diff = {name: metrics_after.get(name, 0) - metrics.get(name, 0) for name in metrics_after}
    result["bot_counters"] = diff
    result["redis"] = redis_summary(stats, stats_after, settle.own, n)
    idle = measure.stats_diff(idle_stats, idle_stats_after, Counter())
    result["redis"].update(
        {
            "commands_per_message": diff["redis_commands_total"] / n if own_metrics else None,
            "round_trips_per_message": (
                diff["redis_round_trips_total"] / n if own_metrics else None
            ),
            "idle_commands_per_second": (
                _rate(idle_before, idle_after, "redis_commands_total") if own_metrics else None
            ),
            "idle_round_trips_per_second": (
                _rate(idle_before, idle_after, "redis_round_trips_total") if own_metrics else None
            ),
            "idle_executed_commands_per_second": sum(c for c, _ in idle.values()) / IDLE_SECONDS,
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


def run_floor(
    options: Options,
    prefix: str,
    workdir: Path,
    redis: Redis,
    stack: contextlib.ExitStack,
    subscribers: int | None = None,
) -> dict[str, Any]:
    """One measured load against ``bench.floor`` with ``subscribers`` sinks, as ``run_app``
    measures the bot: the same generator, bodies, warm-up, sinks and Graph emulator.

    With ``--fanout`` every sink but the first masks the replies' text, as the bot's
    fan-out config has it; otherwise the replies are the automation's, masked for none."""
    subscribers = subscribers or options.subscribers
    emulators = start_emulators(options, workdir, stack, subscribers)
    sinks, app_secret = emulators.sinks, secrets.token_hex(16)
    setup = {
        "app_secret": app_secret,
        "sinks": [
            {"url": sink.url, "secret": secret, "mask": options.fanout and index > 0}
            for index, (sink, secret) in enumerate(zip(sinks, emulators.secrets, strict=True))
        ],
        "graph_base": emulators.graph_base,
        "graph_token": emulators.token,
        "phone_number_id": PHONE_NUMBER_ID,
        "automation": AUTOMATION,
    }
    floor = Child.python(
        "floor",
        "bench.floor",
        [
            "--prefix",
            prefix,
            "--redis-url",
            options.redis_url,
            *(["--grouped-appends"] if options.floor_grouped else []),
        ],
        workdir,
        {"FLOOR_CONFIG": json.dumps(setup)},
    )
    stack.callback(floor.stop)
    url = floor.start()
    tree = ProcessTree(floor.pid)
    tree.refresh()
    bases = [sink.url.removesuffix("/hook") for sink in sinks]
    settle = measure.Settle.of(redis, [f"{prefix}floor"])
    load = LoadGenerator(options, workdir)
    timeout = 60 + options.messages / 20
    if options.warmup:
        counts = measure.sink_counts(bases)
        warm = load.fire(url, app_secret, options.warmup, seed=1000, name="floor-warmup")
        measure.wait_for_events(bases, accepted_events(warm), counts, timeout)
        settle.wait(timeout)
    graph = emulators.graph
    meter = server_meter("floor", tree, redis, sinks, graph)
    counts, duplicates = measure.sink_counts(bases), measure.sink_duplicates(bases)
    sink_stats = [measure.get_json(f"{base}/stats") for base in bases]
    settle.own.clear()
    stats = measure.command_stats(redis)
    stats_url = url.removesuffix(FLOOR_PATH) + "/stats"
    floor_before = measure.get_json(stats_url)
    meter.start()
    measured = load.fire(url, app_secret, options.messages, seed=1, name="floor", rate=options.rate)
    arrivals = measure.wait_for_events(bases, accepted_events(measured), counts, timeout)
    settled_at = settle.wait(timeout)
    cpu = meter.stop(measured)
    stats_after = measure.command_stats(redis)

    result = requests_summary(measured)
    result.update(delivery_summary(measured, arrivals))
    result["settle_seconds"] = settled_at - measured["started"]
    result["duplicate_deliveries"] = measure.sink_duplicates(bases) - duplicates
    result["subscribers"] = subscribers
    result["grouped_appends"] = options.floor_grouped
    after = [measure.get_json(f"{base}/stats") for base in bases]
    result["fanout"] = fanout_summary(sink_stats, after, measured)
    result["cpu_seconds"] = cpu
    result["redis"] = redis_summary(stats, stats_after, settle.own, options.messages)
    trips = measure.get_json(stats_url)["redis_round_trips"] - floor_before["redis_round_trips"]
    result["redis"]["round_trips_per_message"] = trips / options.messages
    floor.stop()
    graph.stop()
    result["graph_sends_total"] = graph_sends(graph)
    result["floor_counts"] = next(
        (
            json.loads(line.removeprefix("COUNTS "))
            for line in floor.output().splitlines()
            if line.startswith("COUNTS ")
        ),
        None,
    )
    return result


def server_meter(
    name: str, tree: ProcessTree, redis: Any, sinks: list[Child], graph: Child
) -> measure.CpuMeter:
    """The CPU of a server under test (``name``: the bot or the floor), of Redis, of the
    sinks and of the Graph emulator, and the processes that are not "others"."""
    return measure.CpuMeter(
        {
            name: tree.cpu,
            "redis": lambda: measure.redis_cpu(redis),
            "sinks": lambda: sum(sink.cpu() for sink in sinks),
            "graph": graph.cpu,
        },
        lambda: tree.pids() | {graph.pid, *(sink.pid for sink in sinks)},
    )


def _rate(before: dict[str, float], after: dict[str, float], counter: str) -> float:
    return (after[counter] - before[counter]) / IDLE_SECONDS


def inbound_event(wamid: str) -> str:
    """The id of the message.inbound event the sinks get for a WhatsApp message id."""
    return derived_id("evt", wamid, "inbound")


def accepted_events(load: dict[str, Any]) -> list[str]:
    """Events to wait for: a refused webhook never reaches the sinks (Meta would retry it)."""
    events = [inbound_event(row[0]) for row in load["results"] if row[3] == 200]
    if not events:
        statuses = Counter(row[3] for row in load["results"])
        raise RuntimeError(f"the bot accepted no webhook; answers by status: {dict(statuses)}")
    return events


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


def fanout_summary(
    before: list[dict[str, Any]], after: list[dict[str, Any]], load: dict[str, Any]
) -> dict[str, Any]:
    """Deliveries to all sinks over the measured window, by event type, and the masking check.

    The window runs from the first POST to the last delivery of any event at any sink, read
    once all work is done: inbound events, replies' outbound events, statuses if any.
    """
    deliveries = sum(a["deliveries"] - b["deliveries"] for a, b in zip(after, before, strict=True))
    last = max(stat["last_at"] for stat in after)
    window = last - load["started"]
    by_sink = []
    for index, (a, b) in enumerate(zip(after, before, strict=True), start=1):
        types = {
            kind: count - b["by_type"].get(kind, 0)
            for kind, count in sorted(a["by_type"].items())
            if count - b["by_type"].get(kind, 0)
        }
        by_sink.append({"service": f"sub{index}", "deliveries_by_type": types})
    posts = sum(a.get("posts", 0) - b.get("posts", 0) for a, b in zip(after, before, strict=True))
    return {
        "deliveries": deliveries,
        "posts": posts,
        "window_seconds": window,
        "deliveries_per_second": deliveries / window,
        "by_sink": by_sink,
        "masking": masking_check(after),
    }


def masking_check(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether the parent (sub1) saw its replies' texts and every other sink saw them masked.

    Counts every delivery each sink acknowledged, warm-up included: a masking check over all
    bodies, not a sample. A sink that masks must have had outbound events, every one of them
    masked and without a ``text``, and no body of any type holding a reply text. The parent's
    replies are its own: never masked, each holding its text, which also shows the search
    finds the texts when they are there.
    """
    parent, others = stats[0], stats[1:]
    outbound = [stat["by_type"].get("message.outbound", 0) for stat in stats]
    ok = (
        outbound[0] > 0
        and parent["outbound_masked"] == 0
        and parent["watched_text_hits"] == outbound[0]
        and all(count == outbound[0] for count in outbound)
        and all(
            stat["outbound_masked"] == outbound[0]
            and stat["outbound_with_text"] == 0
            and stat["watched_text_hits"] == 0
            for stat in others
        )
    )
    return {
        "ok": ok,
        "sinks": [
            {
                "service": f"sub{index}",
                "masks": index > 1,
                "outbound": count,
                "outbound_masked": stat["outbound_masked"],
                "outbound_with_text": stat["outbound_with_text"],
                "bodies_with_a_reply_text": stat["watched_text_hits"],
            }
            for index, (stat, count) in enumerate(zip(stats, outbound, strict=True), start=1)
        ],
        "sample": {f"sub{index}": stat["sample"][:1] for index, stat in enumerate(stats, 1)},
    }
