"""Notifications in Redis (AU-4): the records, the schedule, and each run's recipients,
counters and delivery statuses.

Layout (under the prefix; one notification's keys share the tag ``{ntf:<id>}``):
- ``{ntf:<id>}:h``: the record: ``id number service status created_at spec next_at``;
- ``{ntf:<id>}:aud``: the listed audience (``c:<conversation>`` or ``p:<profile or
  identity>`` entries), shared by every run;
- ``{ntf:<id>}:runs``: the runs (a one-off has one, a cron schedule one per occurrence);
- ``{ntf:<id>}:r:<run>:m``: a run's counters (``recipients queued sent delivered read
  failed deferred skipped:<reason>``) and progress (``cursor total snap status fence``);
- ``{ntf:<id>}:r:<run>:rc``: recipient -> state: ``q|<conversation>|<identity>|<profile>``
  (queued), ``s|<reason>`` (skipped) or ``d|<until>|<entry>`` (deferred by quiet hours);
- ``{ntf:<id>}:r:<run>:d``: deferred recipients by when they may go;
- ``{ntf:<id>}:r:<run>:st``: send id -> the furthest status it reached;
- ``{ntf:<id>}:r:<run>:a``: a topic's or filter's audience, copied when the run starts;
- ``ntf:due``: ``<id>|<run>`` -> when that run starts or has deferred work;
- ``ntf:dead``: ``<id>|<run>`` -> when a run that failed every attempt was set aside (its
  meta keeps ``failures``, the last ``error`` and ``status`` failed);
- ``ntf:n:<number>``: the number's notifications by creation time;
- ``ntf:drafts``: the drafts not yet sent or cancelled.

A recipient is claimed (its state written, its counters moved) in one script before its
send is queued, so a crash and a rerun never count or send anyone twice (REL-3).

Whatever puts a run on the schedule also publishes on ``ntf:changed``: the scheduler
sleeps until the first run is due, and this wakes it when another process adds one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from stores.notification_contract import BaseNotificationStore
from stores.notification_scripts import CLAIM, REVIVE, START, STATUS
from stores.redis import Keys, Pipe, listen_channel, queue_publish

RETENTION = 35 * 24 * 3600
"""How long a finished run keeps its recipients and statuses (late receipts still count)."""
CHUNK = 1000


class NotificationStore(BaseNotificationStore):
    """Records, schedule and run state of notifications."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.due_key = keys.notifications_due()

    def _k(self, nid: str, part: str) -> str:
        return self.keys.notification(nid, part)

    def _r(self, nid: str, run: int, part: str) -> str:
        return self.keys.notification_run(nid, run, part)

    def number_key(self, number: str) -> str:
        return self.keys.notifications_of(number)

    # --- Records and the schedule ----------------------------------------------------

    async def create(
        self,
        nid: str,
        record: dict[str, str],
        entries: Sequence[str],
        *,
        due_at: float | None,
        run: int,
    ) -> bool:
        """Store a new notification and schedule its first run; False if it exists.

        The schedule is written first: a due entry without a record is dropped by the
        scheduler, a record without its due entry would never go out."""
        if await self.redis.exists(self._k(nid, "h")):
            return False
        async with self.redis.pipeline(transaction=False) as pipe:
            if due_at is not None:
                pipe.zadd(self.due_key, {f"{nid}|{run}": due_at})
                queue_publish(pipe, self.keys.notifications_changed(), nid)
            pipe.zadd(self.number_key(record["number"]), {nid: float(record["created_at"])})
            if record["status"] == "draft":
                pipe.sadd(self.keys.notification_drafts(), nid)
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:  # one tag: one slot
            pipe.delete(self._k(nid, "aud"))
            for start in range(0, len(entries), CHUNK):
                pipe.rpush(self._k(nid, "aud"), *entries[start : start + CHUNK])
            pipe.hset(self._k(nid, "h"), mapping=_fields(record))
            await pipe.execute()
        return True

    async def first_posted(self, event_key: str, fingerprint: str) -> str:
        """The fingerprint of the first post of a workflow event (``event_key`` names its
        number and id): this one's when it is the first, kept as long as the
        notifications it makes."""
        key = self.keys.notification(event_key, "evt")
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(key, fingerprint, nx=True, ex=RETENTION)
            pipe.get(key)
            _, first = await pipe.execute()
        return str(first or fingerprint)

    async def record(self, nid: str) -> dict[str, str]:
        found: Any = await self.redis.hgetall(self._k(nid, "h"))
        return dict(found)

    async def status(self, nid: str) -> str:
        return str(await self.redis.hget(self._k(nid, "h"), "status") or "")

    def queue_read_status(self, pipe: Pipe, nid: str) -> None:
        """Queue a read of the notification's status (its answer: the status, or None)."""
        pipe.hget(self._k(nid, "h"), "status")

    async def update(self, nid: str, **fields: str) -> None:
        await self.redis.hset(self._k(nid, "h"), mapping=_fields(fields))

    async def due(self, now: float, limit: int = 20) -> list[tuple[str, int, float]]:
        """Runs whose time has come: (notification, run, when)."""
        found: Any = await self.redis.zrangebyscore(
            self.due_key, "-inf", now, start=0, num=limit, withscores=True
        )
        runs = []
        for member, score in found:
            nid, _, run = str(member).partition("|")
            runs.append((nid, int(run or 0), float(score)))
        return runs

    async def next_due(self) -> float | None:
        first: Any = await self.redis.zrange(self.due_key, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def scheduled_count(self) -> int:
        return int(await self.redis.zcard(self.due_key))

    async def listen(self, changed: Callable[[], None], ready: asyncio.Event) -> None:
        await listen_channel(self.redis, self.keys.notifications_changed(), changed, ready)

    async def schedule(self, nid: str, run: int, at: float) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.due_key, {f"{nid}|{run}": at})
            queue_publish(pipe, self.keys.notifications_changed(), nid)
            await pipe.execute()

    async def undraft(self, nid: str) -> None:
        """A draft was sent (and is on the schedule now) or cancelled."""
        await self.redis.srem(self.keys.notification_drafts(), nid)

    async def unschedule(self, nid: str, run: int) -> None:
        await self.redis.zrem(self.due_key, f"{nid}|{run}")

    async def scheduled(self, nid: str) -> list[tuple[int, float]]:
        """The runs of ``nid`` still on the schedule (a scan of the schedule: admin use)."""
        found = []
        async for member, score in self.redis.zscan_iter(self.due_key, match=f"{nid}|*"):
            found.append((int(str(member).partition("|")[2] or 0), float(score)))
        return sorted(found)

    async def of_number(self, number: str, limit: int = 1000) -> list[str]:
        """The number's notifications, the newest first."""
        found: Any = await self.redis.zrevrange(self.number_key(number), 0, limit - 1)
        return list(found)

    # --- Runs that keep failing ------------------------------------------------------

    async def fail_run(self, nid: str, run: int, error: str, at: float) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:  # one tag: one slot
            pipe.hincrby(self._r(nid, run, "m"), "failures", 1)
            pipe.hset(self._r(nid, run, "m"), mapping={"error": error, "failed_at": repr(at)})
            attempts, _ = await pipe.execute()
        return int(attempts)

    async def postpone(self, nid: str, run: int, at: float) -> None:
        await self.redis.zadd(self.due_key, {f"{nid}|{run}": at}, xx=True)

    async def set_aside(self, nid: str, run: int, at: float) -> None:
        # Marked first, taken off the schedule last: a crash in between leaves it due, and
        # the next failure sets it aside again.
        await self.redis.hset(self._r(nid, run, "m"), "status", "failed")
        await self.redis.zadd(self.keys.notifications_dead(), {f"{nid}|{run}": at})
        await self.redis.zrem(self.due_key, f"{nid}|{run}")

    async def set_aside_runs(self) -> list[tuple[str, int, float]]:
        found: Any = await self.redis.zrange(self.keys.notifications_dead(), 0, -1, withscores=True)
        runs = []
        for member, score in found:
            nid, _, run = str(member).partition("|")
            runs.append((nid, int(run or 0), float(score)))
        return runs

    async def set_aside_count(self) -> int:
        return int(await self.redis.zcard(self.keys.notifications_dead()))

    async def revive(self, nid: str, run: int, at: float) -> None:
        await REVIVE(self.redis, [self._r(nid, run, "m")], [])
        await self.schedule(nid, run, at)
        await self.redis.zrem(self.keys.notifications_dead(), f"{nid}|{run}")

    # --- Runs ----------------------------------------------------------------------

    async def start_run(self, nid: str, run: int, now: float) -> tuple[bool, dict[str, str]]:
        """Mark a run started (once); whether it is new, and its state."""
        keys = [self._r(nid, run, "m"), self._k(nid, "runs")]
        new = await START(self.redis, keys, [run, repr(now)])
        return bool(new), await self.run_meta(nid, run)

    async def run_meta(self, nid: str, run: int) -> dict[str, str]:
        found: Any = await self.redis.hgetall(self._r(nid, run, "m"))
        return dict(found)

    async def runs(self, nid: str) -> list[int]:
        found: Any = await self.redis.zrange(self._k(nid, "runs"), 0, -1)
        return [int(run) for run in found]

    async def later_run(self, nid: str, run: int) -> bool:
        """Whether a run of ``nid`` after ``run`` has started (a cron schedule's next)."""
        found: Any = await self.redis.zrangebyscore(
            self._k(nid, "runs"), f"({run}", "+inf", start=0, num=1
        )
        return bool(found)

    async def runs_meta(self, pairs: Sequence[tuple[str, int]]) -> list[dict[str, str]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for nid, run in pairs:
                pipe.hgetall(self._r(nid, run, "m"))
            return [dict(found) for found in await pipe.execute()]

    async def runs_of(self, nids: Sequence[str]) -> list[list[int]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for nid in nids:
                pipe.zrange(self._k(nid, "runs"), 0, -1)
            return [[int(run) for run in found] for found in await pipe.execute()]

    async def set_run(self, nid: str, run: int, **fields: str | int | float) -> None:
        await self.redis.hset(self._r(nid, run, "m"), mapping=_fields(fields))

    async def snapshot(self, nid: str, run: int, source: str) -> int:
        """Copy the members of a sorted set (a number's conversations) into the run's
        audience as ``c:<id>`` entries; redone from scratch if a crash cut it short."""
        target = self._r(nid, run, "a")
        await self.redis.delete(target)
        batch: list[str] = []
        total = 0
        async for member, _ in self.redis.zscan_iter(source, count=CHUNK):
            batch.append(f"c:{member}")
            if len(batch) >= CHUNK:
                total = int(await self.redis.rpush(target, *batch))
                batch = []
        if batch:
            total = int(await self.redis.rpush(target, *batch))
        await self.set_run(nid, run, snap=1, total=total)
        return total

    async def listed_total(self, nid: str) -> int:
        return int(await self.redis.llen(self._k(nid, "aud")))

    async def frozen_total(self, nid: str) -> int:
        return int(await self.redis.llen(self._k(nid, "frz")))

    async def entries(
        self, nid: str, run: int, listed: bool, start: int, count: int, *, frozen: bool = False
    ) -> list[str]:
        if frozen:
            key = self._k(nid, "frz")
        else:
            key = self._k(nid, "aud") if listed else self._r(nid, run, "a")
        found: Any = await self.redis.lrange(key, start, start + count - 1)
        return list(found)

    def queue_claim(
        self,
        pipe: Pipe,
        nid: str,
        run: int,
        key: str,
        state: str,
        kind: str,
        *,
        fence: int,
        until: float = 0.0,
        resume: bool = False,
        send_id: str = "",
        at: float = 0.0,
    ) -> None:
        """Claim a recipient: ``kind`` is ``q`` (queued), ``d`` (deferred) or a skip
        reason. The answer is the new state after ``+``, the state already held without
        it, or None when ``fence`` is stale. A queued recipient is found by ``send_id``
        (a receipt's, a click's); a skipped one is listed under ``skipped`` from ``at``."""
        keys = [self._r(nid, run, part) for part in ("rc", "m", "d", "sid")]
        keys.append(self._k(nid, "o:skipped"))
        args = [key, state, kind, repr(until), "1" if resume else "0", fence]
        CLAIM.queue(pipe, keys, [*args, send_id or "-", f"{run}|{key}", repr(at)])

    def queue_progress(self, pipe: Pipe, nid: str, run: int, cursor: int) -> None:
        pipe.hset(self._r(nid, run, "m"), "cursor", cursor)

    def queue_undefer(self, pipe: Pipe, nid: str, run: int, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            pipe.zrem(self._r(nid, run, "d"), *keys)

    async def deferred_due(
        self, nid: str, run: int, now: float, limit: int
    ) -> list[tuple[str, str]]:
        """Deferred recipients whose time has come, with their states."""
        found: Any = await self.redis.zrangebyscore(
            self._r(nid, run, "d"), "-inf", now, start=0, num=limit
        )
        if not found:
            return []
        states: Any = await self.redis.hmget(self._r(nid, run, "rc"), found)
        return [(str(key), str(state or "")) for key, state in zip(found, states, strict=True)]

    async def next_deferred(self, nid: str, run: int) -> float | None:
        found: Any = await self.redis.zrange(self._r(nid, run, "d"), 0, 0, withscores=True)
        return float(found[0][1]) if found else None

    async def finish_run(self, nid: str, run: int, now: float) -> None:
        """The run queued everyone: keep its recipients and statuses for late receipts."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._r(nid, run, "m"), mapping={"status": "done", "finished_at": now})
            pipe.delete(self._r(nid, run, "a"))
            for part in ("rc", "st", "sid"):
                pipe.expire(self._r(nid, run, part), RETENTION)
            for outcome in ("sent", "delivered", "read", "failed", "clicked", "skipped"):
                pipe.expire(self._k(nid, f"o:{outcome}"), RETENTION)
            await pipe.execute()

    def queue_status(
        self,
        pipe: Pipe,
        nid: str,
        run: int,
        send_id: str,
        status: str,
        *,
        at: float = 0.0,
        code: str = "",
    ) -> None:
        """A send's outcome or receipt, counted once per level it reaches; its recipient
        is listed under each outcome it reached (a failure with the provider's ``code``)."""
        keys = [self._r(nid, run, part) for part in ("st", "m", "rc", "sid")]
        keys += [self._k(nid, f"o:{outcome}") for outcome in ("sent", "delivered", "read")]
        keys.append(self._k(nid, "o:failed"))
        STATUS.queue(pipe, keys, [send_id, status, repr(at or time.time()), code[:40]])

    async def recipients(self, nid: str, run: int) -> list[tuple[str, str]]:
        """Every recipient of a run with its state (for the report's click count)."""
        found = []
        async for key, state in self.redis.hscan_iter(self._r(nid, run, "rc"), count=CHUNK):
            found.append((str(key), str(state)))
        return found

    async def statuses(self, nid: str, run: int) -> dict[str, str]:
        found: Any = await self.redis.hgetall(self._r(nid, run, "st"))
        return dict(found)


def _fields(values: Mapping[str, str | int | float]) -> dict[Any, Any]:
    """A hash's fields as redis-py's ``hset`` takes them."""
    return dict(values)
