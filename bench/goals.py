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
from typing import Any, NamedTuple

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


class Row(NamedTuple):
    """A goal, the baseline's figure, the app's, the ratio shown, and the figure judged;
    with ``--floor``, the floor's figure, the app's over it, and the floor's figure judged."""

    goal: Goal
    baseline: str
    app: str
    ratio: str
    judged: float | None
    floor: str = "—"
    app_over_floor: str = ""
    floor_judged: float | None = None


def _with_floor(
    row: Row, floor: float | None, app: float | None, digits: int = 2, shown: str = ""
) -> Row:
    """``row`` with the floor's figure beside the app's (``shown``, else the figure), and
    the app's over the floor's."""
    if floor is None or (isinstance(floor, float) and math.isnan(floor)):
        return row
    over = "—" if app is None or not floor else f"{app / floor:.2f}"
    judged = None if math.isnan(row.goal.target) else floor
    return row._replace(floor=shown or _n(floor, digits), app_over_floor=over, floor_judged=judged)


def saturated(results: dict[str, Any], app: dict[str, Any], subscribers: int) -> list[Row]:
    base, n = results["baseline"], results["options"]["messages"]
    floor = results.get("floor")
    ceiling = base["per_second"]
    accepted, e2e = app["per_second"] / ceiling, app["end_to_end_per_second"] / ceiling
    rows: list[Row] = []
    if subscribers == 1:
        row = Row(
            Goal("accepted msg/s ÷ baseline, 1 subscriber", 0.5, True),
            _n(ceiling, 0),
            _n(app["per_second"], 0),
            f"**{accepted:.2f}**",
            accepted,
        )
        if floor:
            ratio = floor["per_second"] / ceiling
            shown = f"{_n(floor['per_second'], 0)} ({ratio:.2f})"
            row = _with_floor(row, ratio, accepted, shown=shown)
        rows.append(row)
    e2e_goal = (
        Goal("end-to-end msg/s ÷ baseline, 1 subscriber", 0.4, True)
        if subscribers == 1
        else Goal(f"end-to-end msg/s ÷ baseline, {subscribers} subscribers", 0.3, True)
    )
    row = Row(e2e_goal, _n(ceiling, 0), _n(app["end_to_end_per_second"], 0), f"**{e2e:.2f}**", e2e)
    if floor:
        ratio = floor["end_to_end_per_second"] / ceiling
        shown = f"{_n(floor['end_to_end_per_second'], 0)} ({ratio:.2f})"
        row = _with_floor(row, ratio, e2e, shown=shown)
    rows.append(row)
    bot, baseline = _cpu(app, "bot", n), _cpu(base, "baseline", n)
    row = Row(
        Goal("bot CPU ms per message at saturation", 0.5, False),
        _n(baseline, 2),
        _n(bot, 2),
        _ratio(bot, baseline),
        bot,
    )
    if floor:
        row = _with_floor(row, _cpu(floor, "floor", n), bot)
    rows.append(row)
    if floor:
        deliveries = app.get("fanout", {}).get("deliveries_per_second")
        rows.append(
            _with_floor(
                Row(
                    Goal(
                        f"fan-out deliveries per second, {subscribers} subscriber(s)",
                        *((FANOUT_DELIVERIES, True) if subscribers > 1 else (math.nan, True)),
                    ),
                    _n(ceiling, 0),
                    _n(deliveries, 0),
                    "" if deliveries is None else f"{deliveries / ceiling:.2f}",
                    deliveries if subscribers > 1 else None,
                ),
                floor["fanout"]["deliveries_per_second"],
                deliveries,
                0,
            )
        )
    rows += _redis_rows(base, app, floor)
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
    floor = results.get("floor")
    rows: list[Row] = [
        Row(
            Goal(f"bot CPU ms per message {at}", 0.8, False),
            _n(baseline, 2),
            _n(bot, 2),
            _ratio(bot, baseline),
            bot,
        ),
        Row(Goal(f"round trips per message {at}", 3, False), "1.00", _n(trips, 2), "", trips),
        Row(
            Goal(f"p99 webhook → fan-out delivered (ms) {at}", 20, False),
            f"request p99 {_n(base['latency_ms_p99'], 1)}",
            _n(p99, 1),
            "",
            p99,
        ),
    ]
    if floor:
        rows[0] = _with_floor(rows[0], _cpu(floor, "floor", n), bot)
        rows[1] = _with_floor(rows[1], floor["redis"].get("round_trips_per_message"), trips)
        rows[2] = _with_floor(rows[2], floor["delivered_ms_p99"], p99, 1)
    if not kept:
        rows = [row._replace(judged=None) for row in rows]
    return rows + _redis_rows(base, app, floor)


def fanout(results: dict[str, Any]) -> list[Row]:
    base, n = results["baseline"], results["options"]["messages"]
    ceiling = base["per_second"]
    rows: list[Row] = []
    for key, floor_key in (("app", "floor"), ("app_fanout", "floor_fanout")):
        app, floor = results[key], results.get(floor_key)
        services = app["subscribers"]
        deliveries = app["fanout"]["deliveries_per_second"]
        e2e = app["end_to_end_per_second"] / ceiling
        goal = 0.3 if services > 1 else math.nan
        most = FANOUT_DELIVERIES if services > 1 else math.nan
        ratio = Row(
            Goal(f"end-to-end msg/s ÷ baseline, {services} service(s)", goal, True),
            _n(ceiling, 0),
            _n(app["end_to_end_per_second"], 0),
            f"**{e2e:.2f}**",
            e2e if services > 1 else None,
        )
        rate = Row(
            Goal(f"fan-out deliveries per second, {services} service(s)", most, True),
            _n(ceiling, 0),
            _n(deliveries, 0),
            f"{deliveries / ceiling:.2f}",
            deliveries if services > 1 else None,
        )
        if floor:
            floor_e2e = floor["end_to_end_per_second"] / ceiling
            shown = f"{_n(floor['end_to_end_per_second'], 0)} ({floor_e2e:.2f})"
            ratio = _with_floor(ratio, floor_e2e, e2e, shown=shown)
            rate = _with_floor(rate, floor["fanout"]["deliveries_per_second"], deliveries, 0)
            cpu = Row(
                Goal(f"bot CPU ms per message, {services} service(s)", math.nan, False),
                _n(_cpu(base, "baseline", n), 2),
                _n(_cpu(app, "bot", n), 2),
                "",
                None,
            )
            rows += [ratio, rate, _with_floor(cpu, _cpu(floor, "floor", n), _cpu(app, "bot", n))]
        else:
            rows += [ratio, rate]
    return rows


def _redis_rows(
    base: dict[str, Any], app: dict[str, Any], floor: dict[str, Any] | None = None
) -> list[Row]:
    executed = app["redis"]["executed_commands_per_message"]
    row = Row(
        Goal("Redis commands executed per message", 12, False),
        _n(base["redis"]["executed_commands_per_message"], 2),
        _n(executed, 2),
        "",
        executed,
    )
    if floor:
        row = _with_floor(row, floor["redis"]["executed_commands_per_message"], executed)
    return [row]


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
    if "floor" in results:
        return render_with_floor(results)
    lines = [
        "### Goals, beside the baseline of this run",
        "",
        "| goal | target | baseline | app | app ÷ baseline | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for row in rows_for(results):
        goal = row.goal
        lines.append(
            f"| {goal.label} | {goal.bound} | {row.baseline} | {row.app} | {row.ratio} "
            f"| {goal.met(row.judged)} |"
        )
    return [*lines, *_paced_note(results), ""]


def render_with_floor(results: dict[str, Any]) -> list[str]:
    """The goals with the floor's figures beside (``--floor``): how close the app came to
    what any implementation on this stack must spend, and whether even the floor meets them."""
    lines = [
        "### Goals, beside the baseline and the floor of this run",
        "",
        "| goal | target | baseline | floor | app | app ÷ baseline | app ÷ floor | met | "
        "floor meets |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    for row in rows_for(results):
        goal = row.goal
        lines.append(
            f"| {goal.label} | {goal.bound} | {row.baseline} | {row.floor} | {row.app} "
            f"| {row.ratio} | {row.app_over_floor} | {goal.met(row.judged)} "
            f"| {goal.met(row.floor_judged)} |"
        )
    return [*lines, *_paced_note(results), ""]


def _paced_note(results: dict[str, Any]) -> list[str]:
    """A line saying so when a run was paced at another rate than the paced goals'."""
    rate = results["options"].get("rate")
    if rate and rate != PACED_RATE:
        return [
            "",
            f"The paced goals are set at {PACED_RATE:g} msg/s; this run was paced at {rate:g}.",
        ]
    return []
