"""The benchmark's results as a markdown report, and a description of the machine it ran on."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from importlib import metadata
from typing import Any

import redis

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


def render(results: dict[str, Any]) -> str:
    options, base, app = results["options"], results["baseline"], results["app"]
    n = options["messages"]
    host = results["machine"]
    lines = [
        f"## Switchboard benchmark: {n} webhooks, {options['subscribers']} subscriber(s), "
        f"{options['concurrency']} in flight, {options['customers']} customers",
        "",
        f"{host['cpus']} CPUs ({host['cpu_model']}), Python {host['python']}, aiohttp "
        f"{host['aiohttp']}, redis-py {host['redis-py']} + hiredis {host['hiredis']}, "
        f"Redis {host['redis_server']}; generator, server, sinks and Redis share the machine. "
        f"Code: {host['code']}, {results['started']}.",
        "",
        *(
            [
                f"**The app's load was paced at {options['rate']:g} msg/s**: its msg/s is "
                "the offered rate and the ratio means nothing; the latencies are the point.",
                "",
            ]
            if options.get("rate")
            else []
        ),
        "| | baseline: aiohttp + HMAC + 1 XADD | app |",
        "|---|---:|---:|",
        f"| webhooks accepted per second | {_n(base['per_second'])} (median of "
        f"{', '.join(_n(rate) for rate in base['passes_per_second'])}) | "
        f"{_n(app['per_second'])} |",
        f"| **app / baseline (accepted msg/s)** | | **{results['ratio']:.2f}** |",
        f"| messages per second end to end (every sink has message.inbound) | — | "
        f"{_n(app['end_to_end_per_second'])} |",
        f"| app end to end / baseline | | {results['ratio_end_to_end']:.2f} |",
        f"| request latency p50 / p99 (ms) | {_n(base['latency_ms_p50'], 1)} / "
        f"{_n(base['latency_ms_p99'], 1)} | {_n(app['latency_ms_p50'], 1)} / "
        f"{_n(app['latency_ms_p99'], 1)} |",
        f"| webhook POST → fan-out delivered p50 / p99 (ms) | — | "
        f"{_n(app['delivered_ms_p50'], 1)} / {_n(app['delivered_ms_p99'], 1)} |",
        f"| errors (non-200 or transport) | {base['errors']} | {app['errors']} |",
        f"| seconds from the first POST until every sink had every message.inbound / until "
        f"all work was done (replies and their events too) | — | "
        f"{app['end_to_end_seconds']:.1f} / {app['settle_seconds']:.1f} |",
        f"| duplicate deliveries at the sinks (redeliveries) | — | {app['duplicate_deliveries']} |",
        f"| Redis commands per message, client side (/metrics) | — | "
        f"{_n(app['redis']['commands_per_message'], 2)} |",
        f"| Redis round trips per message (/metrics) | — | "
        f"{_n(app['redis']['round_trips_per_message'], 2)} |",
        f"| Redis commands executed per message (INFO commandstats, inside scripts too) | "
        f"{_n(base['redis']['executed_commands_per_message'], 2)} | "
        f"{_n(app['redis']['executed_commands_per_message'], 2)} |",
        f"| Redis server time per message (µs, commandstats) | "
        f"{_n(base['redis']['server_usec_per_message'], 1)} | "
        f"{_n(app['redis']['server_usec_per_message'], 1)} |",
        f"| CPU ms per message: server process | {_per_message(base['cpu_seconds'], 'baseline', n)}"
        f" | {_per_message(app['cpu_seconds'], 'bot', n)} |",
        f"| CPU ms per message: Redis | {_per_message(base['cpu_seconds'], 'redis', n)} | "
        f"{_per_message(app['cpu_seconds'], 'redis', n)} |",
        f"| CPU ms per message: load generator | "
        f"{_per_message(base['cpu_seconds'], 'generator', n)} | "
        f"{_per_message(app['cpu_seconds'], 'generator', n)} |",
        f"| CPU ms per message: sinks + Graph emulator | — | "
        f"{_n((app['cpu_seconds']['sinks'] + app['cpu_seconds']['graph']) / n * 1000, 2)} |",
        f"| other processes on the machine, share of its {host['cpus']} cores | "
        f"{_others(base['cpu_seconds'], host['cpus'])} | "
        f"{_others(app['cpu_seconds'], host['cpus'])} |",
        "",
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
        "Idle, the bot sends "
        f"{app['redis']['idle_commands_per_second']:.0f} Redis commands/s in "
        f"{app['redis']['idle_round_trips_per_second']:.0f} round trips/s (blocking reads, "
        "leases); that background is inside the per-message counts.",
        "",
        "| bot counter, during the measured load | value |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {_n(value)} |" for name, value in app["bot_counters"].items()]
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
    if "profile" in app:
        lines += [
            "",
            f"### Profile of the bot ({app['profile']['svg']})",
            "",
            "Measured with py-spy attached: the numbers above are lower than without.",
            "",
            render_profile(app["profile"]),
        ]
    return "\n".join(lines)
