"""``python -m bench.stitch``: PERF-3, profile stitching's speed, round trips and memory.

Two parts, each on a Redis of its own unless ``--redis-url`` names one for the first:

1. **Speed.** ``ProfileStore`` resolves the same kinds of sightings in four ways: one
   ``resolve`` awaited after another (latency-bound), ``--tasks`` concurrent ``resolve``
   calls, and ``resolve_many`` batches of each ``--batches`` size. Three cases:

   - ``new``: first contacts, four identities each (``wa:<digits>``, the
     ``phone:+<E.164>`` behind it, ``email:<n>@example.com``, ``tg:<n>``);
   - ``known``: the same sightings again, every identity already indexed;
   - ``merge``: each person is first known as two profiles (WhatsApp: wa + phone;
     Telegram: tg), made before the clock starts. The measured sightings are two per
     person, one per channel, that share the email: the WhatsApp one attaches the email,
     the Telegram one then ties the two profiles together, so half of them merge.

   Per case and way: stitches per second, and from ``stores.redis.RoundTrips`` (what the
   client sent: a pipeline is one round trip) round trips and commands per resolution,
   beside what Redis executed (INFO commandstats, Lua's inner calls included) and the
   CPU of this process and of Redis. Sightings are built before the clock starts.

2. **Memory.** A private ``redis-server`` (``--save '' --appendonly no``, a free port,
   stopped and removed at the end) is loaded through ``resolve_many`` with new customers
   up to each ``--profiles`` size in turn, under the production prefix ``sb:``;
   ``used_memory`` after minus before, over the profiles, is the cost of one. ``MEMORY
   USAGE`` of a sample of each key type and ``MEMORY STATS`` explain the total.

Every key is written under a fresh ``bench:<random>:`` prefix on a shared Redis and
deleted at the end; private servers are stopped whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import redis as sync_redis
from redis.asyncio import Redis

from bench import report
from bench.procs import ROOT, Child, machine_busy_seconds
from bot.identities import phone_of_whatsapp_id
from bot.model import Identity
from stores.profiles import ProfileStore, Sighting
from stores.redis import Keys, RoundTrips, connect
from tests.botprocess import free_port

WA_BASE = 447_700_000_000
"""WhatsApp ids of the benchmark's people: UK mobiles from +44 7700 000000 on."""
TG_BASE = 7_000_000_000
"""Telegram user ids: ten digits, as real ones are."""
PRODUCTION_PREFIX = "sb:"
"""The default ``SWITCHBOARD_KEY_PREFIX``: what the memory part stores under."""
CASES = ("new", "known", "merge")
KINDS = ("wa", "phone", "email", "tg")
MEMORY_FIELDS = (
    "used_memory",
    "used_memory_dataset",
    "used_memory_overhead",
    "mem_clients_normal",
    "used_memory_scripts",
    "used_memory_rss",
)
"""What INFO memory is read for, before and after each load."""
STABLE_POLLS = 20
"""Reads of used_memory (0.25 s apart) until it holds still after a load."""


@dataclass(frozen=True, slots=True)
class Way:
    """How sightings are handed to the store: one by one, concurrently, or in batches."""

    name: str
    size: int = 1
    """Tasks for ``concurrent``, sightings per call for ``batch``."""

    @property
    def label(self) -> str:
        if self.name == "single":
            return "single, sequential"
        if self.name == "concurrent":
            return f"single, {self.size} concurrent"
        return f"resolve_many, batches of {self.size}"

    @property
    def slug(self) -> str:
        return self.name if self.name == "single" else f"{self.name}{self.size}"


@dataclass(slots=True)
class Options:
    redis_url: str = ""
    """'' starts a private redis-server for the speed part too."""
    stitches: int = 5000
    tasks: int = 64
    batches: tuple[int, ...] = (100, 500)
    profiles: tuple[int, ...] = (100_000, 1_000_000)
    load_batch: int = 1000
    load_tasks: int = 2
    samples: int = 1000
    json_path: str = ""
    speed: bool = True
    memory: bool = True


@dataclass(slots=True)
class Row:
    """One case in one way: what it cost per resolution."""

    case: str
    way: str
    resolutions: int
    seconds: float
    round_trips: int
    commands: int
    executed: int
    """Commands Redis ran (INFO commandstats), inside Lua included; server-wide."""
    client_cpu: float
    redis_cpu: float
    others_cores: float
    """Cores the rest of the machine kept busy in the window (/proc/stat minus this process
    and Redis): on two shared cores, what the benchmark did not get."""
    check: str
    ok: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.resolutions / self.seconds if self.seconds else 0.0

    def per(self, value: float) -> float:
        return value / self.resolutions if self.resolutions else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data |= {
            "stitches_per_second": self.per_second,
            "round_trips_per_resolution": self.per(self.round_trips),
            "commands_per_resolution": self.per(self.commands),
            "executed_per_resolution": self.per(self.executed),
            "client_cpu_us_per_resolution": self.per(self.client_cpu) * 1e6,
            "redis_cpu_us_per_resolution": self.per(self.redis_cpu) * 1e6,
        }
        return data


# --- the people ----------------------------------------------------------------------


def person(n: int) -> tuple[Identity, Identity, Identity, Identity]:
    """Person ``n``'s four identities: wa, the phone behind it, email, tg."""
    digits = str(WA_BASE + n)
    return (
        Identity("wa", digits),
        phone_of_whatsapp_id(digits),
        Identity("email", f"{n}@example.com"),
        Identity("tg", str(TG_BASE + n)),
    )


def new_sightings(start: int, count: int) -> list[Sighting]:
    """First contacts on WhatsApp carrying all four identities, the wa id first.

    One ``at`` for the batch, as a shard batch of WhatsApp messages often has (their
    timestamps are whole seconds); new profile ids then differ only in their random part.
    """
    now = time.time()
    return [
        Sighting(person(n), "whatsapp", f"Customer {n}", now) for n in range(start, start + count)
    ]


def split_sightings(start: int, people: int) -> list[Sighting]:
    """Two profiles per person before any merge: WhatsApp (wa, phone) and Telegram (tg)."""
    now = time.time()
    found: list[Sighting] = []
    for n in range(start, start + people):
        wa, phone, _, tg = person(n)
        found += [
            Sighting((wa, phone), "whatsapp", f"Customer {n}", now),
            Sighting((tg,), "telegram", f"Customer {n}", now),
        ]
    return found


def merging_sightings(start: int, people: int) -> list[Sighting]:
    """Per person, WhatsApp with the email (attaches it), then Telegram with it (merges)."""
    now = time.time()
    found: list[Sighting] = []
    for n in range(start, start + people):
        wa, phone, email, tg = person(n)
        found += [
            Sighting((wa, phone, email), "whatsapp", f"Customer {n}", now),
            Sighting((tg, email), "telegram", f"Customer {n}", now),
        ]
    return found


# --- running sightings through the store ----------------------------------------------


async def resolve_all(
    store: ProfileStore,
    sightings: Sequence[Sighting],
    way: Way,
    costs: list[tuple[int, int]] | None = None,
) -> list[str]:
    """The profile of each sighting, handed over the way ``way`` says. One by one, each
    call's round trips and commands are appended to ``costs`` when it is given."""
    if way.name == "single":
        profiles: list[str] = []
        for s in sightings:
            round_trips, commands = RoundTrips.round_trips, RoundTrips.commands
            profiles.append(
                await store.resolve(s.identities, channel=s.channel, name=s.name, at=s.at)
            )
            if costs is not None:
                costs.append((RoundTrips.round_trips - round_trips, RoundTrips.commands - commands))
        return profiles
    if way.name == "concurrent":
        results = [""] * len(sightings)
        queue = iter(enumerate(sightings))

        async def worker() -> None:
            for index, s in queue:
                results[index] = await store.resolve(
                    s.identities, channel=s.channel, name=s.name, at=s.at
                )

        await asyncio.gather(*(worker() for _ in range(way.size)))
        return results
    found: list[str] = []
    for start in range(0, len(sightings), way.size):
        resolutions = await store.resolve_many(sightings[start : start + way.size])
        found += [r.profile for r in resolutions]
    return found


async def load(store: ProfileStore, sightings: Sequence[Sighting], batch: int = 500) -> None:
    """Untimed set-up: resolve ``sightings`` in batches."""
    for start in range(0, len(sightings), batch):
        await store.resolve_many(sightings[start : start + batch])


async def lookups(
    store: ProfileStore, identities: Sequence[Identity], tasks: int = 32
) -> list[str]:
    """The live profile of each identity, through ``ProfileStore.lookup``."""
    found = [""] * len(identities)
    queue = iter(enumerate(identities))

    async def worker() -> None:
        for index, identity in queue:
            found[index] = await store.lookup(identity)

    await asyncio.gather(*(worker() for _ in range(tasks)))
    return found


async def resolvable_people(store: ProfileStore, people: Sequence[int]) -> int:
    """People whose four identities all look up to one live profile."""
    identities = [i for n in people for i in person(n)]
    found = await lookups(store, identities)
    return sum(
        1 for k in range(len(people)) if found[4 * k] and len(set(found[4 * k : 4 * k + 4])) == 1
    )


async def warm_pool(redis: Redis, connections: int) -> None:
    """Open the pool's connections before a window: a new one sends CLIENT SETINFO."""
    await asyncio.gather(*(redis.ping() for _ in range(connections)))


# --- counters ---------------------------------------------------------------------------


def executed_calls(stats: dict[str, Any]) -> int:
    """Every call Redis counted in INFO commandstats."""
    return sum(int(v["calls"]) for k, v in stats.items() if k.startswith("cmdstat_"))


@dataclass(slots=True)
class Meter:
    """Counters read before and after a window: ours, this process's CPU, and Redis's."""

    info: Redis
    """A client without CountingConnection, so reading INFO counts no round trip of ours."""
    values: dict[str, float] = field(default_factory=dict)

    async def start(self) -> None:
        # Redis first, so our counters and the clock start right before the work.
        stats = await self.info.info("commandstats")
        cpu = await self.info.info("cpu")
        self.values = {
            "executed": executed_calls(stats),
            "redis_cpu": float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]),
            "round_trips": RoundTrips.round_trips,
            "commands": RoundTrips.commands,
            "cpu": time.process_time(),
            "machine": machine_busy_seconds(),
            "wall": time.perf_counter(),
        }

    async def stop(self) -> dict[str, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        round_trips, commands = RoundTrips.round_trips, RoundTrips.commands
        machine = machine_busy_seconds()
        stats = await self.info.info("commandstats")
        cpu_info = await self.info.info("cpu")
        redis_cpu = float(cpu_info["used_cpu_user"]) + float(cpu_info["used_cpu_sys"])
        return {
            "wall": wall - self.values["wall"],
            "cpu": cpu - self.values["cpu"],
            "round_trips": round_trips - self.values["round_trips"],
            "commands": commands - self.values["commands"],
            # The two INFO calls of start() ran after its reading: they are not ours.
            "executed": executed_calls(stats) - self.values["executed"] - 2,
            "redis_cpu": redis_cpu - self.values["redis_cpu"],
            "machine": machine - self.values["machine"],
        }


# --- part 1: speed ----------------------------------------------------------------------


async def measure_case(
    store: ProfileStore,
    meter: Meter,
    case: str,
    way: Way,
    sightings: Sequence[Sighting],
    check: Callable[[list[str]], Awaitable[tuple[str, bool]]],
) -> Row:
    """One timed window: ``sightings`` resolved ``way``, then ``check`` on the answers."""
    await warm_pool(store.redis, way.size if way.name == "concurrent" else 1)
    costs: list[tuple[int, int]] = []
    await meter.start()
    profiles = await resolve_all(store, sightings, way, costs)
    spent = await meter.stop()
    text, ok = await check(profiles)
    extra: dict[str, Any] = {}
    if case == "merge" and costs:
        # Sightings alternate: the WhatsApp one attaches the email, the Telegram one merges.
        for name, half in (("attach", costs[0::2]), ("merge", costs[1::2])):
            extra[name] = {
                "round_trips": statistics.fmean(c[0] for c in half),
                "commands": statistics.fmean(c[1] for c in half),
            }
    return Row(
        case=case,
        way=way.label,
        resolutions=len(sightings),
        seconds=spent["wall"],
        round_trips=int(spent["round_trips"]),
        commands=int(spent["commands"]),
        executed=int(spent["executed"]),
        client_cpu=spent["cpu"],
        redis_cpu=spent["redis_cpu"],
        others_cores=max(0.0, spent["machine"] - spent["cpu"] - spent["redis_cpu"]) / spent["wall"],
        check=text,
        ok=ok,
        extra=extra,
    )


async def measure_way(
    redis: Redis, meter: Meter, prefix: str, way: Way, stitches: int
) -> list[Row]:
    """The three cases in one way, on keys of their own (``prefix`` + the way)."""
    store = ProfileStore(redis, Keys(f"{prefix}{way.slug}:"))
    people = max(1, stitches // 2)
    fresh = new_sightings(0, stitches)
    rows: list[Row] = []

    async def distinct(profiles: list[str]) -> tuple[str, bool]:
        count = len(set(filter(None, profiles)))
        return f"{count:,} new profiles", count == stitches

    rows.append(await measure_case(store, meter, "new", way, fresh, distinct))
    first = await lookups(store, [s.identities[0] for s in fresh])
    again = new_sightings(0, stitches)

    async def same(profiles: list[str]) -> tuple[str, bool]:
        count = sum(1 for a, b in zip(profiles, first, strict=True) if a and a == b)
        return f"{count:,} found their profile", count == stitches

    rows.append(await measure_case(store, meter, "known", way, again, same))

    await load(store, split_sightings(stitches, people))
    merging = merging_sightings(stitches, people)

    async def joined(profiles: list[str]) -> tuple[str, bool]:
        count = await resolvable_people(store, range(stitches, stitches + people))
        return f"{count:,}/{people:,} people now one profile", count == people

    rows.append(await measure_case(store, meter, "merge", way, merging, joined))
    return rows


async def drop_prefix(redis: Redis, prefix: str) -> int:
    """Delete the keys under ``prefix`` (SCAN), and only those."""
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
    for start in range(0, len(keys), 500):
        await redis.delete(*keys[start : start + 500])
    return len(keys)


async def measure_speed(
    url: str,
    prefix: str,
    stitches: int,
    tasks: int,
    batches: Sequence[int],
    progress: Callable[[str], None] = lambda _: None,
) -> list[Row]:
    """Part 1 on the Redis at ``url``, under ``prefix``; its keys are deleted at the end."""
    redis = connect(url)
    info: Redis = Redis.from_url(url, decode_responses=True)
    meter = Meter(info)
    ways = [Way("single"), Way("concurrent", tasks), *(Way("batch", size) for size in batches)]
    rows: list[Row] = []
    try:
        # Scripts loaded, pools and caches filled, before anything is timed.
        warm = min(stitches, 40)
        for way in ways:
            await measure_way(redis, meter, f"{prefix}warm:", way, warm)
        for way in ways:
            progress(f"speed: {way.label}, {stitches:,} resolutions per case ...")
            rows += await measure_way(redis, meter, prefix, way, stitches)
    finally:
        await drop_prefix(info, prefix)
        await redis.aclose()
        await info.aclose()
    return rows


# --- part 2: memory ---------------------------------------------------------------------


@contextlib.asynccontextmanager
async def private_redis(extra: Sequence[str] = ()) -> AsyncIterator[tuple[str, Child]]:
    """A redis-server of our own on a free port, without persistence; gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-stitch-") as workdir:
        server = Child.redis_server(Path(workdir), free_port())
        server.argv += ["--dir", workdir, *extra]
        try:
            await asyncio.to_thread(server.start)
            yield server.url, server
        finally:
            server.stop()


async def settled_memory(info: Redis) -> dict[str, Any]:
    """INFO memory once used_memory holds still (incremental rehashing, freed buffers)."""
    last: dict[str, Any] = await info.info("memory")
    for _ in range(STABLE_POLLS):
        await asyncio.sleep(0.25)
        now: dict[str, Any] = await info.info("memory")
        if now["used_memory"] == last["used_memory"]:
            return now
        last = now
    return last


async def redis_cpu(info: Redis) -> float:
    cpu = await info.info("cpu")
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


async def load_people(
    info: Redis, url: str, start: int, stop: int, batch: int, tasks: int
) -> dict[str, float]:
    """New customers ``start`` .. ``stop`` through ``resolve_many``; the client is closed
    after, so its buffers are not counted."""
    redis = connect(url)
    store = ProfileStore(redis, Keys(PRODUCTION_PREFIX))
    starts = iter(range(start, stop, batch))
    build = 0.0

    async def worker() -> None:
        nonlocal build
        for first in starts:
            began = time.perf_counter()
            sightings = new_sightings(first, min(batch, stop - first))
            build += time.perf_counter() - began
            await store.resolve_many(sightings)

    server = await redis_cpu(info)
    round_trips, commands = RoundTrips.round_trips, RoundTrips.commands
    machine, began, cpu = machine_busy_seconds(), time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(*(worker() for _ in range(tasks)))
    finally:
        await redis.aclose()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    machine = machine_busy_seconds() - machine
    server = await redis_cpu(info) - server
    return {
        "profiles": stop - start,
        "seconds": seconds,
        "build_seconds": build,
        "client_cpu_seconds": cpu,
        "redis_cpu_seconds": server,
        "others_cores": max(0.0, machine - cpu - server) / seconds,
        "round_trips": RoundTrips.round_trips - round_trips,
        "commands": RoundTrips.commands - commands,
    }


async def key_sample(info: Redis, people: Sequence[int]) -> dict[str, Any]:
    """MEMORY USAGE and shape of each key type, over a sample of people."""
    keys = Keys(PRODUCTION_PREFIX)
    usage: dict[str, list[int]] = {kind: [] for kind in (*KINDS, "profile")}
    names: dict[str, list[int]] = {kind: [] for kind in usage}
    values: dict[str, list[int]] = {kind: [] for kind in usage}
    fields: list[int] = []
    encodings: dict[str, set[str]] = {kind: set() for kind in usage}
    for n in people:
        ids = person(n)
        profile = await info.get(keys.identity(ids[0]))
        if not profile:
            continue
        pairs = [(kind, keys.identity(i)) for kind, i in zip(KINDS, ids, strict=True)]
        pairs.append(("profile", keys.profile(str(profile))))
        for kind, key in pairs:
            usage[kind].append(int(await info.memory_usage(key, samples=0) or 0))
            names[kind].append(len(key.encode()))
            encodings[kind].add(str(await info.object("encoding", key)))
            if kind == "profile":
                data: dict[str, str] = await info.hgetall(key)  # type: ignore[assignment]
                fields.append(len(data))
                values[kind].append(sum(len(f.encode()) + len(v.encode()) for f, v in data.items()))
            else:
                values[kind].append(len(str(await info.get(key) or "").encode()))

    def mean(numbers: list[int]) -> float:
        return statistics.fmean(numbers) if numbers else 0.0

    first = person(people[0])
    example = str(await info.get(keys.identity(first[0])))
    examples = {kind: keys.identity(i) for kind, i in zip(KINDS, first, strict=True)}
    examples["profile"] = keys.profile(example)
    return {
        "people": len(usage["profile"]),
        "by_type": {
            kind: {
                "memory_usage": mean(usage[kind]),
                "key_bytes": mean(names[kind]),
                "value_bytes": mean(values[kind]),
                "encoding": sorted(encodings[kind]),
            }
            for kind in usage
        },
        "profile_fields": mean(fields),
        "per_person": mean([sum(usage[k][i] for k in usage) for i in range(len(usage["profile"]))]),
        "example_keys": examples,
        "example_profile": await info.hgetall(examples["profile"]),
    }


async def measure_memory(
    sizes: Sequence[int],
    batch: int,
    tasks: int,
    samples: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Part 2: bytes of Redis memory per stitched profile, on a private redis-server."""
    results: dict[str, Any] = {"sizes": []}
    async with private_redis() as (url, _server):
        results["machine"] = await asyncio.to_thread(describe, url)
        info: Redis = Redis.from_url(url, decode_responses=True)
        try:
            config = await info.config_get("hash-max-*")
            results["config"] = config
            results["redis_version"] = (await info.info("server"))["redis_version"]
            before = await settled_memory(info)
            results["empty"] = {k: before[k] for k in MEMORY_FIELDS}
            loaded = 0
            for size in sorted(set(sizes)):
                progress(f"memory: loading profiles {loaded:,} .. {size:,} ...")
                loading = await load_people(info, url, loaded, size, batch, tasks)
                loaded = size
                # Read with only this one idle connection open, as before the load.
                after = await settled_memory(info)
                stats = await info.memory_stats()
                keys = await info.dbsize()
                progress(f"memory: {size:,} loaded in {loading['seconds']:.0f} s; sampling ...")
                people = sorted(random.Random(size).sample(range(size), min(samples, size)))
                # The checks' connections are closed before the next reading.
                check: Redis = Redis.from_url(url, decode_responses=True)
                try:
                    progress(f"memory: {size:,}: counting profile hashes ...")
                    counted = await census(check, PRODUCTION_PREFIX)
                    sampled = await key_sample(check, people)
                    store = ProfileStore(check, Keys(PRODUCTION_PREFIX))
                    resolvable = await resolvable_people(store, people)
                finally:
                    await check.aclose()
                delta = {k: int(after[k]) - int(before[k]) for k in MEMORY_FIELDS}
                results["sizes"].append(
                    {
                        "profiles": size,
                        "keys": keys,
                        **counted,
                        "after": {k: after[k] for k in MEMORY_FIELDS},
                        "delta": delta,
                        "bytes_per_profile": delta["used_memory"] / size,
                        "main_table_overhead": _main_overhead(stats),
                        "load": loading,
                        "sample": sampled,
                        "sampled_people": len(people),
                        "resolvable_people": resolvable,
                    }
                )
        finally:
            await info.aclose()
    return results


async def census(info: Redis, prefix: str) -> dict[str, Any]:
    """Every profile hash under ``prefix`` (SCAN), and those holding more than one
    person's four identities: two new customers given the same profile id."""
    hashes, shared, example = 0, 0, ""
    batch: list[str] = []

    async def count(keys: list[str]) -> None:
        nonlocal hashes, shared, example
        async with info.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hkeys(key)
            for key, names in zip(keys, await pipe.execute(), strict=True):
                hashes += 1
                if sum(1 for name in names if name.startswith("i:")) > len(KINDS):
                    shared += 1
                    example = example or key
        keys.clear()

    async for key in info.scan_iter(match=f"{prefix}{{p:*", count=5000, _type="hash"):
        batch.append(key)
        if len(batch) >= 2000:
            await count(batch)
    await count(batch)
    return {"profile_hashes": hashes, "shared_hashes": shared, "shared_example": example}


def _main_overhead(stats: dict[str, Any]) -> int:
    """MEMORY STATS' overhead.hashtable.main of db 0: key table, entries and key objects."""
    db = stats.get("db.0") or {}
    if isinstance(db, dict):
        return int(db.get("overhead.hashtable.main", 0))
    if isinstance(db, list):  # a flat [name, value, ...] reply
        pairs = dict(zip(db[::2], db[1::2], strict=False))
        return int(pairs.get("overhead.hashtable.main", 0))
    return 0


# --- the report ------------------------------------------------------------------------


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def render(results: dict[str, Any]) -> str:
    """The results as markdown tables."""
    lines: list[str] = []
    machine = results.get("machine", {})
    if machine:
        lines += [
            f"machine: {machine.get('cpus')} CPUs ({machine.get('cpu_model', '')}), "
            f"Python {machine.get('python')}, redis-py {machine.get('redis-py')}, "
            f"hiredis {machine.get('hiredis')}, Redis {machine.get('redis_server')}, "
            f"code {machine.get('code')}, stores/profiles.py {results.get('profiles_py', '')}",
            "",
        ]
    rows = results.get("speed", [])
    if rows:
        lines += [
            f"## Stitching speed ({results['speed_redis']})",
            "",
            "| case | way | resolutions | stitches/s | round trips / res. | commands / res. "
            "| executed by Redis / res. | client CPU µs / res. | Redis CPU µs / res. "
            "| others' cores | check |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for row in rows:
            lines.append(
                f"| {row['case']} | {row['way']} | {_n(row['resolutions'])} "
                f"| {_n(row['stitches_per_second'])} "
                f"| {_n(row['round_trips_per_resolution'], 3)} "
                f"| {_n(row['commands_per_resolution'], 2)} "
                f"| {_n(row['executed_per_resolution'], 1)} "
                f"| {_n(row['client_cpu_us_per_resolution'])} "
                f"| {_n(row['redis_cpu_us_per_resolution'])} "
                f"| {_n(row['others_cores'], 2)} "
                f"| {'' if row['ok'] else 'FAILED: '}{row['check']} |"
            )
        lines.append("")
        for row in rows:
            if row["extra"]:
                split = "; ".join(
                    f"{name}: {_n(cost['round_trips'], 2)} round trips, "
                    f"{_n(cost['commands'], 2)} commands"
                    for name, cost in row["extra"].items()
                )
                lines += [f"{row['case']}, {row['way']}, per sighting: {split}", ""]
    memory = results.get("memory")
    if memory and memory["sizes"]:
        config = ", ".join(f"{k} {v}" for k, v in sorted(memory["config"].items()))
        lines += [
            f"## Memory per profile (private redis-server {memory['redis_version']}, {config})",
            "",
            "| profiles | keys | profile hashes (holding 2 people) | used_memory Δ "
            "| **bytes / profile** | of which dataset "
            "| of which overhead (main key table) | RSS Δ / profile | clients Δ "
            "| load time | loaded / s | CPU client / Redis / others (cores) | round trips "
            "| people resolvable by lookup (sample) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for size in memory["sizes"]:
            profiles, load_, delta = size["profiles"], size["load"], size["delta"]
            lines.append(
                f"| {_n(profiles)} | {_n(size['keys'])} "
                f"| {_n(size['profile_hashes'])} ({_n(size['shared_hashes'])}) "
                f"| {_n(delta['used_memory'])} "
                f"| **{_n(size['bytes_per_profile'])}** "
                f"| {_n(delta['used_memory_dataset'] / profiles)} "
                f"| {_n(delta['used_memory_overhead'] / profiles)} "
                f"({_n(size['main_table_overhead'] / profiles)}) "
                f"| {_n(delta['used_memory_rss'] / profiles)} "
                f"| {_n(delta['mem_clients_normal'])} "
                f"| {_n(load_['seconds'], 1)} s for the {_n(load_['profiles'])} added "
                f"(building sightings {_n(load_['build_seconds'], 1)} s) "
                f"| {_n(load_['profiles'] / load_['seconds'])} "
                f"| {_n(load_['client_cpu_seconds'] / load_['seconds'], 2)} / "
                f"{_n(load_['redis_cpu_seconds'] / load_['seconds'], 2)} / "
                f"{_n(load_['others_cores'], 2)} "
                f"| {_n(load_['round_trips'])} "
                f"| {_n(size['resolvable_people'])}/{_n(size['sampled_people'])} |"
            )
        lines.append("")
        for size in memory["sizes"]:
            if size["shared_hashes"]:
                lines += [
                    f"At {_n(size['profiles'])}: {size['shared_hashes']} profile hash(es) hold "
                    f"two people's identities (e.g. `{size['shared_example']}`): new profiles "
                    "of one batch drew the same id (new_profile_id: the sighting's ms and 32 "
                    "random bits), and the two people became one profile.",
                    "",
                ]
        for size in memory["sizes"]:
            sample = size["sample"]
            lines += [
                f"MEMORY USAGE at {_n(size['profiles'])} profiles, mean over {sample['people']} "
                "people (key, value and dict entry; not the key table's bucket):",
                "",
                "| key | example | encoding | key bytes | value bytes | MEMORY USAGE |",
                "|---|---|---|---:|---:|---:|",
            ]
            for kind, figures in sample["by_type"].items():
                label = (
                    f"profile hash ({_n(sample['profile_fields'], 1)} fields)"
                    if kind == "profile"
                    else f"identity `{kind}`"
                )
                lines.append(
                    f"| {label} | `{sample['example_keys'][kind]}` "
                    f"| {'/'.join(figures['encoding'])} | {_n(figures['key_bytes'], 1)} "
                    f"| {_n(figures['value_bytes'], 1)} | {_n(figures['memory_usage'], 1)} |"
                )
            lines += [
                f"| **sum per person** | | | | | **{_n(sample['per_person'], 1)}** |",
                "",
            ]
        example = memory["sizes"][0]["sample"]["example_profile"]
        lines += ["A profile hash as stored:", "", "```", json.dumps(example, indent=1), "```", ""]
    if "seconds" in results:
        lines.append(f"whole run: {results['seconds']:.0f} s")
    return "\n".join(lines)


# --- the command ------------------------------------------------------------------------


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stitch",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="the Redis of the speed part (keys under a fresh prefix, deleted after); "
        "default: a private redis-server. Memory is always measured on a private one",
    )
    parser.add_argument("--stitches", type=int, default=5000, help="resolutions per case and way")
    parser.add_argument("--tasks", type=int, default=64, help="concurrent single resolves")
    parser.add_argument("--batches", default="100,500", help="resolve_many batch sizes")
    parser.add_argument(
        "--profiles", default="100000,1000000", help="profile counts for memory ('' to skip)"
    )
    parser.add_argument("--load-batch", type=int, default=1000, help="resolve_many size loading")
    parser.add_argument("--load-tasks", type=int, default=2, help="batches in flight loading")
    parser.add_argument("--samples", type=int, default=1000, help="people sampled per size")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--no-speed", action="store_true", help="memory only")
    parser.add_argument("--json", default="", help="also write every number here")
    args = parser.parse_args(argv)
    options = Options(
        redis_url=args.redis_url,
        stitches=args.stitches,
        tasks=args.tasks,
        batches=_sizes(args.batches),
        profiles=_sizes(args.profiles),
        load_batch=args.load_batch,
        load_tasks=args.load_tasks,
        samples=args.samples,
        json_path=args.json,
        speed=not args.no_speed,
        memory=bool(_sizes(args.profiles)),
    )
    if args.quick:
        options.stitches, options.tasks, options.batches = 200, 16, (50, 100)
        options.profiles, options.samples = (1000, 2000) if options.memory else (), 200
        options.load_batch = 500
    numbers = (options.stitches, options.tasks, options.load_batch, options.load_tasks)
    if min(*numbers, options.samples, *options.batches, *options.profiles, 1) < 1:
        parser.error("every count and size must be >= 1")
    return options


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def describe(url: str) -> dict[str, Any]:
    """The machine, the versions and the commit, as bench.run reports them."""
    with sync_redis.Redis.from_url(url, decode_responses=True) as client:
        return report.machine(client)


def profiles_py_digest() -> str:
    """A digest of stores/profiles.py as it is on disk: which code was measured."""
    data = (ROOT / "stores" / "profiles.py").read_bytes()
    return "sha256:" + hashlib.sha256(data).hexdigest()[:12]


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def run(options: Options) -> dict[str, Any]:
    """Both parts; every server started is stopped and every key written is deleted."""
    began = time.perf_counter()
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "options": asdict(options),
        "profiles_py": profiles_py_digest(),
    }
    if options.speed:
        prefix = f"bench:{secrets.token_hex(6)}:"
        async with contextlib.AsyncExitStack() as stack:
            url = options.redis_url
            if not url:
                url, _ = await stack.enter_async_context(private_redis())
                results["speed_redis"] = "private redis-server"
            else:
                results["speed_redis"] = f"{url}, keys under {prefix}"
            results["machine"] = await asyncio.to_thread(describe, url)
            rows = await measure_speed(
                url, prefix, options.stitches, options.tasks, options.batches, _progress
            )
            results["speed"] = [row.as_dict() for row in rows]
    if options.memory:
        results["memory"] = await measure_memory(
            options.profiles, options.load_batch, options.load_tasks, options.samples, _progress
        )
        results.setdefault("machine", results["memory"]["machine"])
    results["seconds"] = time.perf_counter() - began
    return results


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    results = asyncio.run(run(options))
    print(render(results))
    if options.json_path:
        Path(options.json_path).write_text(json.dumps(results, indent=2, default=str), "utf-8")
        _progress(f"JSON: {options.json_path}")
    failed = [row for row in results.get("speed", []) if not row["ok"]]
    memory = results.get("memory", {}).get("sizes", [])
    failed += [s for s in memory if s["resolvable_people"] != s["sampled_people"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
