"""What the benchmark reads while it runs: the bot's /metrics, the sinks, Redis, percentiles."""

from __future__ import annotations

import json
import math
import os
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from bench.procs import all_processes, machine_busy_seconds
from stores.redis import Keys
from stores.streams import GROUP


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def bot_metrics(bot_url: str) -> dict[str, float]:
    """The counters of ``/metrics`` as ``{name without switchboard_: value}``, each summed
    over its labels (services, channels)."""
    with urllib.request.urlopen(f"{bot_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    metrics: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.type != "counter":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                name = sample.name.removeprefix("switchboard_")
                metrics[name] = metrics.get(name, 0.0) + sample.value
    return metrics


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def command_stats(redis: Redis) -> dict[str, tuple[int, int]]:
    """Redis-wide ``{command: (calls, usec)}``; commands run inside scripts count too."""
    stats: dict[str, Any] = redis.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): (int(value["calls"]), int(value["usec"]))
        for name, value in stats.items()
    }


def stats_diff(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], own: Counter[str]
) -> dict[str, tuple[int, int]]:
    """Calls and usec per command between two snapshots, less the benchmark's own."""
    diff = {}
    for name, (calls, usec) in after.items():
        if name == "info":  # the snapshots themselves
            continue
        old_calls, old_usec = before.get(name, (0, 0))
        calls -= old_calls + own[name]
        if calls > 0:
            diff[name] = (calls, usec - old_usec)
    return diff


def redis_cpu(redis: Redis) -> float:
    cpu: dict[str, Any] = redis.info("cpu")
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


class Settle:
    """Waits until the bot has no work left: every stream it works from is empty.

    Finished entries are deleted from their stream (XACK then XDEL), so empty streams and
    an empty retry schedule mean every message, reply and delivery is done.
    """

    def __init__(self, redis: Redis, prefix: str, shards: int, services: Sequence[str]) -> None:
        keys = Keys(prefix)
        self.redis = redis
        self.streams = [keys.inbound(shard) for shard in range(shards)]
        self.streams += [keys.outbox(shard) for shard in range(shards)]
        self.streams += [keys.fanout(service) for service in services]
        self.schedules = [keys.fanout(service, "retry") for service in services]
        self.own: Counter[str] = Counter()

    @classmethod
    def of(cls, redis: Redis, streams: Sequence[str]) -> Settle:
        """Waits for ``streams`` alone to be empty: a server other than the bot."""
        settle = cls(redis, "", 0, [])
        settle.streams = list(streams)
        return settle

    def backlog(self) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for key in self.streams:
            pipe.xlen(key)
        for key in self.schedules:
            pipe.zcard(key)
        self.own["xlen"] += len(self.streams)
        self.own["zcard"] += len(self.schedules)
        return int(sum(pipe.execute()))

    def wait(self, timeout: float) -> float:
        """Block until two polls in a row find nothing left; the time it was found so."""
        deadline = time.monotonic() + timeout
        empty_since: float | None = None
        while time.monotonic() < deadline:
            if self.backlog() == 0:
                if empty_since is not None:
                    return empty_since
                empty_since = time.time()
            else:
                empty_since = None
            time.sleep(0.1)
        raise TimeoutError(f"the bot still has work after {timeout}s: {self.describe()}")

    def describe(self) -> str:
        """Which streams still hold entries, and how many of those were read but never acked."""
        parts = []
        for key in self.streams:
            length = self.redis.xlen(key)
            if length:
                pending: Any = self.redis.xpending(key, GROUP)
                parts.append(f"{key}: {length} entries, {pending['pending']} pending")
        for key in self.schedules:
            if count := self.redis.zcard(key):
                parts.append(f"{key}: {count} retries scheduled")
        return "; ".join(parts) or "nothing left"


def sink_counts(sinks: Sequence[str]) -> list[int]:
    """Distinct events each sink acknowledged so far."""
    return [int(get_json(f"{sink}/stats")["unique"]) for sink in sinks]


def sink_duplicates(sinks: Sequence[str]) -> int:
    """Deliveries beyond the first of an event, over all sinks: each one a redelivery."""
    stats = [get_json(f"{sink}/stats") for sink in sinks]
    return sum(int(stat["deliveries"]) - int(stat["unique"]) for stat in stats)


def wait_for_events(
    sinks: Sequence[str], event_ids: Sequence[str], since: Sequence[int], timeout: float
) -> list[dict[str, float]]:
    """Wait until every sink has every event; per sink, ``{event id: arrival time}``.

    Cheap counters are polled first: the full arrival list is fetched only once the counts
    say it can be complete, so polling costs the sinks next to nothing during the load.
    """
    wanted = set(event_ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = sink_counts(sinks)
        if all(count - base >= len(wanted) for count, base in zip(counts, since, strict=True)):
            arrivals = [get_json(f"{sink}/stats?detail=1")["received"] for sink in sinks]
            if all(wanted <= received.keys() for received in arrivals):
                return [{eid: float(received[eid]) for eid in wanted} for received in arrivals]
        time.sleep(0.2)
    missing = [
        len(wanted - get_json(f"{sink}/stats?detail=1")["received"].keys()) for sink in sinks
    ]
    raise TimeoutError(f"after {timeout}s the sinks still miss {missing} of {len(wanted)} events")


class CpuMeter:
    """CPU seconds of each part of the stack over a window, and of everything else.

    The machine is shared: what other processes took in the window is reported beside the
    results, because on two cores it comes straight out of the benchmark's share.
    """

    def __init__(self, parts: dict[str, Callable[[], float]], pids: Callable[[], set[int]]) -> None:
        self.parts = parts
        self.pids = pids
        self.before: dict[str, float] = {}
        self.processes: dict[int, tuple[str, float]] = {}
        self.machine = 0.0
        self.started = 0.0

    def start(self) -> None:
        self.before = {name: read() for name, read in self.parts.items()}
        self.processes = all_processes()
        self.machine = machine_busy_seconds()
        self.started = time.monotonic()

    def stop(self, load: dict[str, Any]) -> dict[str, Any]:
        """Per part, plus the generator's firing CPU, other processes' CPU and the window."""
        used: dict[str, Any] = {
            name: read() - self.before[name] for name, read in self.parts.items()
        }
        used["generator"] = load["cpu_seconds"]
        machine = machine_busy_seconds() - self.machine
        ours = sum(used.values()) - used["generator"] + load["process_cpu_seconds"]
        used["others"] = max(0.0, machine - ours)
        used["machine"] = machine
        used["window_seconds"] = time.monotonic() - self.started
        used["others_top"] = self._others_top()
        return used

    def _others_top(self, limit: int = 4) -> list[tuple[str, float]]:
        """The processes outside the benchmark that took the most CPU in the window."""
        ours = self.pids() | {os.getpid()}
        spent: dict[str, float] = {}
        for pid, (command, cpu) in all_processes().items():
            if pid in ours or command.startswith("redis-server"):
                continue  # Redis's CPU is read from Redis itself
            _, before = self.processes.get(pid, (command, 0.0))
            if cpu - before > 0.05:
                spent[command] = spent.get(command, 0.0) + cpu - before
        return sorted(spent.items(), key=lambda item: -item[1])[:limit]


def shard_holders(redis: Redis, prefix: str, shards: int) -> Counter[str]:
    """Shards per holder of their lease: how the workers share the shards right now."""
    keys = Keys(prefix)
    holders = redis.mget([keys.lease(f"shard:{shard}") for shard in range(shards)])
    return Counter(str(holder) for holder in holders if holder)


def wait_for_shard_split(
    redis: Redis, prefix: str, shards: int, workers: int, timeout: float
) -> tuple[list[int], bool]:
    """Shards per worker, busiest first, once each holds its fair share or ``timeout`` passed.

    Whether the workers share the shards at all is up to the runtime's leases: the split is
    reported as found, and whether it was fair, rather than failing the run.
    """
    fair = -(-shards // workers)
    deadline = time.monotonic() + timeout
    while True:
        held = sorted(shard_holders(redis, prefix, shards).values(), reverse=True)
        split = (held + [0] * workers)[: max(workers, len(held))]
        if sum(held) == shards and split[0] <= fair:
            return split, True
        if time.monotonic() > deadline:
            return split, False
        time.sleep(0.2)
