"""The benchmark's results as a markdown report, and a description of the machine it ran on."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from importlib import metadata
from typing import Any

import redis

from bench import goals
from bench.procs import ROOT
from bench.profiling import render as render_profile


def code_version() -> str:
    """The commit measured, marked when the runtime's files differ from it."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # Only the code under test counts: the benchmark's own edits change no number.
    changed = git("status", "--porcelain", "--", ".", ":!bench", ":!docs")
    return f"{commit}+uncommitted changes" if changed else commit


def machine(client: redis.Redis) -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                "",
            )
    except OSError:
        pass
    server: dict[str, Any] = client.info("server")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "aiohttp": metadata.version("aiohttp"),
        "redis-py": metadata.version("redis"),
        "hiredis": metadata.version("hiredis"),
        "redis_server": server.get("redis_version", "?"),
        "code": code_version(),
    }


def _n(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def _per_message(cpu: dict[str, float], name: str, count: int) -> str:
    return _n(cpu[name] / count * 1000, 2) if name in cpu else "—"


def _others(cpu: dict[str, Any], cpus: int) -> str:
    share = cpu["others"] / (cpu["window_seconds"] * cpus)
    top = ", ".join(f"`{command}` {seconds:.1f} s" for command, seconds in cpu["others_top"])
    return (
        f"{share:.0%} ({cpu['others']:.1f} core-s in {cpu['window_seconds']:.1f} s"
        + (f"; {top}" if top else "")
        + ")"
    )


def _split(seconds: list[float], count: int) -> str:
    """CPU ms per message of each process of a server that did work, busiest first."""
    busy = [value for value in seconds if value / count * 1000 >= 0.005]
    return " + ".join(_n(value / count * 1000, 2) for value in busy) or "—"


def render(results: dict[str, Any]) -> str:
    options, base, app = results["options"], results["baseline"], results["app"]
    n = options["messages"]
    host = results["machine"]
    workers = int(options.get("workers", 1))
    # With N workers the 1-process baseline of the same run sits beside, for reference.
    bases = [base, *([results["baseline_single"]] if "baseline_single" in results else [])]
    one_metrics = app["redis"]["commands_per_message"] is not None

    def row(label: str, baseline: Any, application: Any) -> str:
        values = baseline(bases) if callable(baseline) else [baseline] * len(bases)
        return f"| {label} | {' | '.join(str(v) for v in values)} | {application} |"

    def each(read: Any) -> Any:
        return lambda columns: [read(column) for column in columns]

    ratio = f"**{results['ratio']:.2f}**"
    ratio_e2e = f"{results['ratio_end_to_end']:.2f}"
    if len(bases) > 1:
        ratio += f" (vs 1 process: {results['ratio_single']:.2f})"
        ratio_e2e += f" (vs 1 process: {results['ratio_end_to_end_single']:.2f})"
    processes = "1 process" if workers == 1 else f"{workers} processes on one port"
    head = [f"baseline: aiohttp + HMAC + 1 XADD, {processes}"]
    if len(bases) > 1:
        head.append("baseline, 1 process (reference)")
    app_head = "app" if workers == 1 else f"app: serve --workers {workers}"
    unavailable = f"— ({workers} workers: per-process counters)"
    subscribers = (
        "1 service (its own parent, no bot service; --fanout)"
        if options.get("fanout")
        else f"{options['subscribers']} subscriber(s)"
    )
    lines = [
        f"## Switchboard benchmark: {n} webhooks, {subscribers}, "
        f"{workers} worker(s), {options['concurrency']} in flight, "
        f"{options['customers']} customers",
        "",
        f"{host['cpus']} CPUs ({host['cpu_model']}), Python {host['python']}, aiohttp "
        f"{host['aiohttp']}, redis-py {host['redis-py']} + hiredis {host['hiredis']}, "
        f"Redis {host['redis_server']}; generator, server, sinks and Redis share the machine. "
        f"Code: {host['code']}, {results['started']}.",
        "",
        *(
            [
                f"**The app's load was paced at {options['rate']:g} msg/s**: its msg/s is "
                "the offered rate and its ratio means nothing; the goals below set the CPU, round "
                "trips and latency per message beside the baseline's.",
                "",
            ]
            if options.get("rate")
            else []
        ),
        f"| | {' | '.join(head)} | {app_head} |",
        f"|---|{'---:|' * len(head)}---:|",
        row(
            "webhooks accepted per second",
            each(
                lambda b: (
                    f"{_n(b['per_second'])} (median of "
                    f"{', '.join(_n(rate) for rate in b['passes_per_second'])})"
                )
            ),
            _n(app["per_second"]),
        ),
        row("**app / baseline (accepted msg/s)**", "", ratio),
        row(
            "messages per second end to end (every sink has message.inbound)",
            "—",
            _n(app["end_to_end_per_second"]),
        ),
        row("app end to end / baseline", "", ratio_e2e),
        row(
            "request latency p50 / p99 (ms)",
            each(lambda b: f"{_n(b['latency_ms_p50'], 1)} / {_n(b['latency_ms_p99'], 1)}"),
            f"{_n(app['latency_ms_p50'], 1)} / {_n(app['latency_ms_p99'], 1)}",
        ),
        row(
            "webhook POST → fan-out delivered p50 / p99 (ms)",
            "—",
            f"{_n(app['delivered_ms_p50'], 1)} / {_n(app['delivered_ms_p99'], 1)}",
        ),
        row("errors (non-200 or transport)", each(lambda b: b["errors"]), app["errors"]),
        row(
            "seconds from the first POST until every sink had every message.inbound / until "
            "all work was done (replies and their events too)",
            "—",
            f"{app['end_to_end_seconds']:.1f} / {app['settle_seconds']:.1f}",
        ),
        row("duplicate deliveries at the sinks (redeliveries)", "—", app["duplicate_deliveries"]),
        row(
            "Redis commands per message, client side (/metrics)",
            "—",
            _n(app["redis"]["commands_per_message"], 2) if one_metrics else unavailable,
        ),
        row(
            "Redis round trips per message (/metrics)",
            "—",
            _n(app["redis"]["round_trips_per_message"], 2) if one_metrics else unavailable,
        ),
        row(
            "Redis commands executed per message (INFO commandstats, inside scripts too)",
            each(lambda b: _n(b["redis"]["executed_commands_per_message"], 2)),
            _n(app["redis"]["executed_commands_per_message"], 2),
        ),
        row(
            "Redis server time per message (µs, commandstats)",
            each(lambda b: _n(b["redis"]["server_usec_per_message"], 1)),
            _n(app["redis"]["server_usec_per_message"], 1),
        ),
        row(
            "CPU ms per message: server, all its processes",
            each(lambda b: _per_message(b["cpu_seconds"], "baseline", n)),
            _per_message(app["cpu_seconds"], "bot", n),
        ),
        *(
            [
                row(
                    "CPU ms per message: each process of the server that did work",
                    each(lambda b: _split(b["cpu_seconds_by_process"], n)),
                    _split(app["cpu_seconds_by_process"], n),
                )
            ]
            if workers > 1
            else []
        ),
        row(
            "CPU ms per message: Redis",
            each(lambda b: _per_message(b["cpu_seconds"], "redis", n)),
            _per_message(app["cpu_seconds"], "redis", n),
        ),
        row(
            "CPU ms per message: load generator",
            each(lambda b: _per_message(b["cpu_seconds"], "generator", n)),
            _per_message(app["cpu_seconds"], "generator", n),
        ),
        row(
            "CPU ms per message: sinks + Graph emulator",
            "—",
            _n((app["cpu_seconds"]["sinks"] + app["cpu_seconds"]["graph"]) / n * 1000, 2),
        ),
        row(
            f"other processes on the machine, share of its {host['cpus']} cores",
            each(lambda b: _others(b["cpu_seconds"], host["cpus"])),
            _others(app["cpu_seconds"], host["cpus"]),
        ),
        "",
        *render_floor(results),
        *goals.render(results),
        f"Redis: {'a private server of this run' if options['private_redis'] else 'shared'} "
        f"({options['redis_url']}). "
        + (
            ""
            if options["private_redis"]
            else "INFO commandstats and Redis CPU are "
            "server-wide: another client's commands in the window count too. "
        )
        + f"Before the run the machine was {results['background_load_cores']:.2f} cores busy.",
        "",
    ]
    split = app.get("shards_per_worker", [options["shards"]])
    if workers > 1:
        lines += [
            f"Shards held per worker during the load: {' / '.join(str(s) for s in split)}"
            + ("" if app.get("shards_split_fairly", True) else " (**not a fair split**)")
            + ". The kernel spreads the generator's connections over the processes (SO_REUSEPORT);"
            " each connection stays with the process that accepted it.",
            "",
        ]
    redis = app["redis"]
    idle = (
        f"Idle, Redis ran {redis['idle_executed_commands_per_second']:.0f} commands/s "
        "(commandstats, server-wide)"
    )
    if one_metrics:
        idle += (
            f"; the bot sent {redis['idle_commands_per_second']:.0f} commands/s in "
            f"{redis['idle_round_trips_per_second']:.0f} round trips/s (/metrics)"
        )
    lines += [
        idle + ": blocking reads and leases, a background that is inside the per-message counts.",
        "",
    ]
    if one_metrics:
        lines += ["| bot counter, during the measured load | value |", "|---|---:|"]
        lines += [f"| {name} | {_n(value)} |" for name, value in app["bot_counters"].items()]
    else:
        lines += [
            f"With {workers} workers the Redis command counts in /metrics of the workers that "
            "do not answer a scrape may be a second late, so they are not shown.",
            "",
            "| | value |",
            "|---|---:|",
        ]
    lines += [
        f"| replies accepted by the Graph emulator (warm-up included) | "
        f"{_n(app['graph_sends_total'])} |",
        "",
    ]
    lines += ["| Redis command (commandstats) | per message |", "|---|---:|"]
    lines += [
        f"| {name} | {value:.2f} |"
        for name, value in list(app["redis"]["by_command_per_message"].items())[:15]
    ]
    if "fanout" in results:
        lines += ["", *render_fanout(results["fanout"], host["cpus"])]
    profiled = results.get("app_fanout", app)
    if "profile" in profiled:
        lines += [
            "",
            f"### Profile of the bot, {profiled['subscribers']} subscriber(s) "
            f"({profiled['profile']['svg']})",
            "",
            "Measured with py-spy attached: the numbers above are lower than without.",
            "",
            render_profile(profiled["profile"]),
        ]
    return "\n".join(lines)


def _types(by_sink: list[dict[str, Any]]) -> str:
    """Deliveries per event type, the same for every sink, or sink by sink where not."""
    kinds = [sink["deliveries_by_type"] for sink in by_sink]

    def one(types: dict[str, int]) -> str:
        return " + ".join(f"{_n(count)} {kind}" for kind, count in types.items()) or "none"

    if all(types == kinds[0] for types in kinds):
        return f"{one(kinds[0])}, to each of {len(kinds)}"
    return "; ".join(f"{sink['service']}: {one(sink['deliveries_by_type'])}" for sink in by_sink)


def render_fanout(side: dict[str, Any], cpus: int) -> list[str]:
    """PERF-4: the app with 1 service and with several, the parent's replies masked."""
    counts = sorted(side, key=int)
    columns = [side[count] for count in counts]
    head = ["1 service" if c == "1" else f"{c} services ({int(c) - 1} masking)" for c in counts]

    def row(label: str, read: Any) -> str:
        return f"| {label} | {' | '.join(read(column) for column in columns)} |"

    lines = [
        "### Fan-out with masking (PERF-4): one service, then several on the same number",
        "",
        "`runtime_service: false`: sub1 is the parent and carries the automation (welcome and "
        "rules); sub2, sub3 ... have `mask: true`, so each reply's `message.outbound` reaches "
        "them without its text. Each run on keys of its own, so the same customers are first "
        "contacts in both.",
        "",
        f"| | {' | '.join(head)} |",
        f"|---|{'---:|' * len(head)}",
        row(
            "**fan-out deliveries per second** (all events to all sinks, first POST to last "
            "delivery)",
            lambda c: (
                f"**{_n(c['deliveries_per_second'])}** ({_n(c['deliveries'])} in "
                f"{c['deliveries_window_seconds']:.1f} s)"
            ),
        ),
        row("deliveries by event type", lambda c: _types(c["deliveries_by_sink"])),
        row("webhooks accepted per second", lambda c: _n(c["per_second"])),
        row(
            "messages per second end to end (every sink has message.inbound)",
            lambda c: _n(c["end_to_end_per_second"]),
        ),
        row(
            "**POST → last sink's message.inbound p50 / p99** (max) (ms)",
            lambda c: (
                f"**{_n(c['delivered_ms_p50'], 1)} / {_n(c['delivered_ms_p99'], 1)}** "
                f"({_n(c['delivered_ms_max'])})"
            ),
        ),
        row("seconds until all work was done", lambda c: f"{c['settle_seconds']:.1f}"),
        row("bot CPU ms per message", lambda c: _n(c["bot_cpu_ms_per_message"], 2)),
        row(
            "errors / duplicate deliveries",
            lambda c: f"{c['errors']} / {c['duplicate_deliveries']}",
        ),
        row(f"other processes, share of {cpus} cores", lambda c: f"{c['others_cpu_share']:.0%}"),
        "",
    ]
    for count, column in zip(counts, columns, strict=True):
        masking = column["masking"]
        verdict = "**passed**" if masking["ok"] else "**FAILED**"
        lines.append(
            f"Masking check, {count} service(s), every body each sink acknowledged (warm-up "
            f"included): {verdict}."
        )
        for sink in masking["sinks"]:
            role = "masks" if sink["masks"] else "parent, sends the replies"
            lines.append(
                f"- {sink['service']} ({role}): {_n(sink['outbound'])} message.outbound, "
                f"{_n(sink['outbound_masked'])} masked, {_n(sink['outbound_with_text'])} with a "
                f"text; {_n(sink['bodies_with_a_reply_text'])} bodies hold a reply text"
            )
        lines.append("")
    last = columns[-1]["masking"]["sample"]
    masked = [body for name, bodies in last.items() if name != "sub1" for body in bodies]
    if masked:
        lines += [f"A masked message.outbound as sub2 got it: `{masked[0][:400]}`", ""]
    return lines


FLOOR_PAIRS = (("floor", "app"), ("floor_fanout", "app_fanout"))


def render_floor(results: dict[str, Any]) -> list[str]:
    """``--floor``: the baseline, the floor and the app of the same run side by side."""
    if "floor" not in results:
        return []
    base, n = results["baseline"], results["options"]["messages"]
    cpus = results["machine"]["cpus"]
    ceiling = base["per_second"]
    # Each floor beside the app it matches: the same services, sinks and replies.
    columns: list[tuple[str, str, dict[str, Any]]] = [("baseline", "baseline", base)]
    for floor_key, app_key in FLOOR_PAIRS:
        if floor_key in results:
            services = results[floor_key]["subscribers"]
            grouped = ", grouped appends" if results[floor_key].get("grouped_appends") else ""
            columns.append((f"floor{grouped}, S = {services}", "floor", results[floor_key]))
            columns.append((f"app, S = {services}", "bot", results[app_key]))

    def cpu(column: dict[str, Any], name: str) -> float | None:
        seconds = column["cpu_seconds"].get(name)
        return None if seconds is None else seconds / n * 1000

    def floor_of(index: int) -> dict[str, Any] | None:
        """The floor column an app column is measured against."""
        return columns[index - 1][2] if columns[index][1] == "bot" else None

    def row(label: str, read: Any) -> str:
        cells = []
        for index, (_, kind, column) in enumerate(columns):
            try:
                value = read(kind, column, floor_of(index))
            except (KeyError, TypeError, ZeroDivisionError):
                value = None
            cells.append("—" if value is None else str(value))
        return f"| {label} | {' | '.join(cells)} |"

    def app_over_floor(read: Any, digits: int = 2) -> Any:
        """The app's figure over its floor's, shown in the app's column."""
        return lambda kind, column, floor: (
            f"{read(column, 'bot') / read(floor, 'floor'):.{digits}f}" if floor else None
        )

    lines = [
        "### The floor: the least this stack must do per message, beside the app",
        "",
        "`bench/floor.py`, one process, the same generator, bodies, sinks and Graph emulator: "
        "the webhook (HMAC, JSON, one XADD; with `--floor-grouped` those of concurrent "
        "webhooks in one pipeline, as the bot's), one XREADGROUP per batch, a signed POST of a "
        "minimal event per subscriber, the automation's replies (a Graph API send, then "
        "`message.outbound` to every subscriber), one XACK + XDEL pipeline per batch. No "
        "stitching, threads, dedupe, retries or rules engine.",
        "",
        f"| | {' | '.join(head for head, _, _ in columns)} |",
        f"|---|{'---:|' * len(columns)}",
        row("webhooks accepted per second", lambda k, c, f: _n(c["per_second"])),
        row("accepted ÷ baseline", lambda k, c, f: f"{c['per_second'] / ceiling:.2f}"),
        row(
            "app ÷ its floor, accepted",
            app_over_floor(lambda c, _: c["per_second"]),
        ),
        row(
            "messages per second end to end (every sink has message.inbound)",
            lambda k, c, f: _n(c["end_to_end_per_second"]) if k != "baseline" else None,
        ),
        row(
            "end to end ÷ baseline",
            lambda k, c, f: (
                f"{c['end_to_end_per_second'] / ceiling:.2f}" if k != "baseline" else None
            ),
        ),
        row(
            "app ÷ its floor, end to end",
            app_over_floor(lambda c, _: c["end_to_end_per_second"]),
        ),
        row(
            "fan-out deliveries per second (all events to all sinks, first POST to last delivery)",
            lambda k, c, f: (
                f"{_n(c['fanout']['deliveries_per_second'])} ({_n(c['fanout']['deliveries'])})"
                if k != "baseline"
                else None
            ),
        ),
        row(
            "app ÷ its floor, deliveries per second",
            app_over_floor(lambda c, _: c["fanout"]["deliveries_per_second"]),
        ),
        row(
            "**CPU ms per message: the server**",
            lambda k, c, f: f"**{_n(cpu(c, k), 2)}**",
        ),
        row(
            "**app ÷ its floor, CPU per message**",
            app_over_floor(lambda c, kind: cpu(c, kind), 1),
        ),
        row(
            "CPU ms per message: Redis / generator / sinks + Graph",
            lambda k, c, f: " / ".join(
                _n(value, 2)
                for value in (
                    cpu(c, "redis"),
                    cpu(c, "generator"),
                    None
                    if k == "baseline"
                    else (c["cpu_seconds"]["sinks"] + c["cpu_seconds"]["graph"]) / n * 1000,
                )
            ),
        ),
        row(
            "request latency p50 / p99 (ms)",
            lambda k, c, f: f"{_n(c['latency_ms_p50'], 1)} / {_n(c['latency_ms_p99'], 1)}",
        ),
        row(
            "webhook POST → last sink's message.inbound p50 / p99 (ms)",
            lambda k, c, f: (
                f"{_n(c['delivered_ms_p50'], 1)} / {_n(c['delivered_ms_p99'], 1)}"
                if k != "baseline"
                else None
            ),
        ),
        row(
            "seconds until all work was done",
            lambda k, c, f: f"{c['settle_seconds']:.1f}" if k != "baseline" else None,
        ),
        row(
            "Redis commands executed per message",
            lambda k, c, f: _n(c["redis"]["executed_commands_per_message"], 2),
        ),
        row(
            "Redis round trips per message (the server's)",
            lambda k, c, f: _n(c["redis"]["round_trips_per_message"], 2),
        ),
        row(
            "replies accepted by the Graph emulator (warm-up included)",
            lambda k, c, f: _n(c["graph_sends_total"]) if k != "baseline" else None,
        ),
        row(
            "errors / duplicate deliveries",
            lambda k, c, f: f"{c['errors']} / {c.get('duplicate_deliveries', '—')}",
        ),
        row(
            f"other processes, share of {cpus} cores",
            lambda k, c, f: _others(c["cpu_seconds"], cpus),
        ),
        "",
    ]
    if results["options"].get("fanout"):
        lines[-1:-1] = [
            row(
                "masking check (every body each sink acknowledged, warm-up included)",
                lambda k, c, f: (
                    ("passed" if c["fanout"]["masking"]["ok"] else "**FAILED**")
                    if k != "baseline"
                    else None
                ),
            )
        ]
    return lines
