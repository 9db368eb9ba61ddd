"""The performance goals, each beside the baseline of the same run, for every kind of run.

A saturated run (``python -m bench.run``, ``--subscribers S``) reports the rates over the
baseline's, CPU and Redis commands per message; a paced run (``--rate R``) the CPU, round
trips and latency per message below saturation; ``--fanout`` the deliveries per second.
The idle goal is ``python -m bench.idle``'s: two idle seconds after a warm-up are too few.
Every row sets the app's figure beside the baseline's from the same run, and the ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

PACED_RATE = 300.0
"""The paced goals hold at this rate; a run paced otherwise reports them for reference."""
FANOUT_DELIVERIES = 4000.0


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal: what is measured, the bound, and whether more is better."""

    label: str
    target: float
    at_least: bool
    """True: the figure must be >= ``target``; False: <= ``target``."""

    def met(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "—"
        ok = value >= self.target if self.at_least else value <= self.target
        return "yes" if ok else "**no**"

    @property
    def bound(self) -> str:
        if math.isnan(self.target):  # a figure for reference, no goal of its own
            return "—"
        return f"{'≥' if self.at_least else '≤'} {self.target:g}"


def _n(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def _cpu(column: dict[str, Any], name: str, count: int) -> float | None:
    seconds = column["cpu_seconds"].get(name)
    return None if seconds is None else seconds / count * 1000


Row = tuple[Goal, str, str, str, float | None]
"""A goal, the baseline's figure, the app's, the ratio shown, and the figure judged."""


def saturated(results: dict[str, Any], app: dict[str, Any], subscribers: int) -> list[Row]:
    base, n = results["baseline"], results["options"]["messages"]
    ceiling = base["per_second"]
    accepted, e2e = app["per_second"] / ceiling, app["end_to_end_per_second"] / ceiling
    rows: list[Row] = []
    if subscribers == 1:
        rows.append(
            (
                Goal("accepted msg/s ÷ baseline, 1 subscriber", 0.5, True),
                _n(ceiling, 0),
                _n(app["per_second"], 0),
                f"**{accepted:.2f}**",
                accepted,
            )
        )
    e2e_goal = (
        Goal("end-to-end msg/s ÷ baseline, 1 subscriber", 0.4, True)
        if subscribers == 1
        else Goal(f"end-to-end msg/s ÷ baseline, {subscribers} subscribers", 0.3, True)
    )
    rows.append(
        (e2e_goal, _n(ceiling, 0), _n(app["end_to_end_per_second"], 0), f"**{e2e:.2f}**", e2e)
    )
    bot, baseline = _cpu(app, "bot", n), _cpu(base, "baseline", n)
    rows.append(
        (
            Goal("bot CPU ms per message at saturation", 0.5, False),
            _n(baseline, 2),
            _n(bot, 2),
            _ratio(bot, baseline),
            bot,
        )
    )
    rows += _redis_rows(base, app)
    return rows


def paced(results: dict[str, Any]) -> list[Row]:
    base, app, n = results["baseline"], results["app"], results["options"]["messages"]
    rate = results["options"]["rate"]
    # A run that could not keep the pace measured long batches, not the paced regime.
    kept = app["per_second"] >= 0.9 * rate
    at = f"paced at {rate:g} msg/s" + ("" if kept else f" (**not kept**: {app['per_second']:,.0f})")
    bot, baseline = _cpu(app, "bot", n), _cpu(base, "baseline", n)
    trips = app["redis"]["round_trips_per_message"]
    p99 = app["delivered_ms_p99"]
    rows: list[Row] = [
        (
            Goal(f"bot CPU ms per message {at}", 0.8, False),
            _n(baseline, 2),
            _n(bot, 2),
            _ratio(bot, baseline),
            bot,
        ),
        (Goal(f"round trips per message {at}", 3, False), "1.00", _n(trips, 2), "", trips),
        (
            Goal(f"p99 webhook → fan-out delivered (ms) {at}", 20, False),
            f"request p99 {_n(base['latency_ms_p99'], 1)}",
            _n(p99, 1),
            "",
            p99,
        ),
    ]
    if not kept:
        rows = [(goal, baseline, figure, ratio, None) for goal, baseline, figure, ratio, _ in rows]
    return rows + _redis_rows(base, app)


def fanout(results: dict[str, Any]) -> list[Row]:
    base = results["baseline"]
    ceiling = base["per_second"]
    rows: list[Row] = []
    for key in ("app", "app_fanout"):
        app = results[key]
        services = app["subscribers"]
        deliveries = app["fanout"]["deliveries_per_second"]
        e2e = app["end_to_end_per_second"] / ceiling
        goal = 0.3 if services > 1 else math.nan
        most = FANOUT_DELIVERIES if services > 1 else math.nan
        rows.append(
            (
                Goal(f"end-to-end msg/s ÷ baseline, {services} service(s)", goal, True),
                _n(ceiling, 0),
                _n(app["end_to_end_per_second"], 0),
                f"**{e2e:.2f}**",
                e2e if services > 1 else None,
            )
        )
        rows.append(
            (
                Goal(f"fan-out deliveries per second, {services} service(s)", most, True),
                _n(ceiling, 0),
                _n(deliveries, 0),
                f"{deliveries / ceiling:.2f}",
                deliveries if services > 1 else None,
            )
        )
    return rows


def _redis_rows(base: dict[str, Any], app: dict[str, Any]) -> list[Row]:
    executed = app["redis"]["executed_commands_per_message"]
    return [
        (
            Goal("Redis commands executed per message", 12, False),
            _n(base["redis"]["executed_commands_per_message"], 2),
            _n(executed, 2),
            "",
            executed,
        ),
    ]


def _ratio(value: float | None, baseline: float | None) -> str:
    return "—" if value is None or not baseline else f"{value / baseline:.1f} x"


def rows_for(results: dict[str, Any]) -> list[Row]:
    """The goals that this run measures."""
    options = results["options"]
    if options.get("fanout"):
        return fanout(results)
    if options.get("rate"):
        return paced(results)
    return saturated(results, results["app"], int(options["subscribers"]))


def render(results: dict[str, Any]) -> list[str]:
    """The goals of this run as a markdown table, the baseline of the same run beside."""
    lines = [
        "### Goals, beside the baseline of this run",
        "",
        "| goal | target | baseline | app | app ÷ baseline | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for goal, baseline, app, ratio, judged in rows_for(results):
        lines.append(
            f"| {goal.label} | {goal.bound} | {baseline} | {app} | {ratio} | {goal.met(judged)} |"
        )
    rate = results["options"].get("rate")
    if rate and rate != PACED_RATE:
        lines += [
            "",
            f"The paced goals are set at {PACED_RATE:g} msg/s; this run was paced at {rate:g}.",
        ]
    return [*lines, ""]
