"""Drip sequences in Redis (AU-4): who is enrolled in each sequence, whose next step is
due when, the enrolments' counts, and the batches of due steps claimed and not yet handed
over to their step's notification.

Layout (under the prefix; one sequence's keys share the tag ``{seq:<name>}``):
- ``{seq:<name>}:en``: member (a profile id, else the audience entry) -> the enrolment, a
  JSON object (``stores.sequence_scripts``);
- ``{seq:<name>}:due``: member -> when its next step is due;
- ``{seq:<name>}:m``: ``enrolled active finished stopped:<reason>`` counts, the claims'
  ``fence``, ``dropped:<step>`` (the steps a cancelled step notification did not send)
  and the ``batches`` counter (each batch is a run of its step's notification);
- ``{seq:<name>}:pend``: run -> ``{step, entries}`` of a batch claimed and not yet handed
  over;
- ``seq:names``: the sequences that ran, so that an erasure finds one since removed from
  the configuration.

Each step is a notification (``{ntf:<id>}``, see ``stores.notifications``), and each batch
one of its runs: the run decides, claims and sends as any campaign's run does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from stores.redis import Keys, Pipe, queue_publish
from stores.sequence_scripts import (
    CLAIM,
    ENROL,
    FORGET,
    HAND_OVER,
    PUSH_BACK,
    STOP,
    STOP_ANSWERED,
)


class BaseSequenceStore(Protocol):
    """Enrolments in drip sequences, their due steps and the batches claimed from them."""

    async def enrol(
        self,
        name: str,
        member: str,
        entry: str,
        *,
        now: float,
        first_due: float,
        again: bool = False,
        aliases: Sequence[str] = (),
    ) -> bool:
        """Enrol ``member`` unless enrolled already (or, without ``again``, ever), also
        under one of its ``aliases``; True when enrolled here."""

    async def stop(self, name: str, member: str, reason: str, now: float) -> bool:
        """End an active enrolment for ``reason``, or a finished one whose last step
        quiet hours hold back still; False when there was none such."""

    async def enrolment(self, name: str, member: str) -> dict[str, Any] | None:
        """One member's enrolment, or None."""

    async def enrolments(self, name: str, members: Sequence[str]) -> list[dict[str, Any] | None]:
        """The enrolments of ``members``, in their order (None where there is none)."""

    async def due(self, name: str, now: float, limit: int) -> list[str]:
        """Members whose next step is due, the longest due first."""

    async def next_due(self, names: Sequence[str]) -> float | None:
        """When the first step of any of the sequences is due."""

    async def claim(
        self, name: str, members: Sequence[str], waits: Sequence[float], fence: int, now: float
    ) -> list[tuple[int, int, list[str]]] | None:
        """Claim the due steps of ``members``: the batches made; None when ``fence`` is
        stale."""

    async def pending(self, name: str) -> list[tuple[int, int, list[str]]]:
        """Batches claimed and not handed over (a crash in between)."""

    async def hand_over(self, nid: str, run: int, entries: Sequence[str]) -> str:
        """Write a batch as the audience of its notification's run, once."""

    async def handed_over(self, name: str, run: int) -> None:
        """Forget a batch once its run holds it."""

    async def counts(self, name: str) -> dict[str, int]:
        """The enrolments' counts and the claims' counters."""

    async def members(self, name: str, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        """Up to ``limit`` enrolments (a scan: admin use)."""

    async def ran(self, name: str) -> None:
        """Note that the sequence ``name`` runs here."""

    async def names(self) -> set[str]:
        """The sequences that ran here, those since removed from the configuration too."""

    async def forget(self, names: Sequence[str], members: Sequence[str]) -> int:
        """Erasure: the enrolments of ``members`` gone from the sequences ``names``."""


class SequenceStore(BaseSequenceStore):
    """Enrolments, due steps and claimed batches of drip sequences."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _k(self, name: str, part: str) -> str:
        return self.keys.sequence(name, part)

    def _enrolment_keys(self, name: str) -> list[str]:
        return [self._k(name, "en"), self._k(name, "due"), self._k(name, "m")]

    def queue_enrol(
        self,
        pipe: Pipe,
        name: str,
        member: str,
        entry: str,
        *,
        now: float,
        first_due: float,
        again: bool = False,
        aliases: Sequence[str] = (),
    ) -> None:
        """Enrol ``member`` (its steps go to ``entry``) unless it is enrolled already, or
        (without ``again``) was before, also under one of its ``aliases``; the answer is 1
        when enrolled here."""
        args = [member, entry, repr(now), repr(first_due), "1" if again else "0", *aliases]
        ENROL.queue(pipe, self._enrolment_keys(name), args)
        queue_publish(pipe, self.keys.notifications_changed(), f"seq:{name}")

    async def enrol(
        self,
        name: str,
        member: str,
        entry: str,
        *,
        now: float,
        first_due: float,
        again: bool = False,
        aliases: Sequence[str] = (),
    ) -> bool:
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_enrol(
                pipe,
                name,
                member,
                entry,
                now=now,
                first_due=first_due,
                again=again,
                aliases=aliases,
            )
            answers = await pipe.execute()
        return bool(answers[0])

    def queue_stop_answered(
        self, pipe: Pipe, name: str, members: Sequence[str], reason: str, now: float
    ) -> None:
        """End the active enrolment of the first of ``members`` enrolled, for ``reason``:
        a reply if a step went to it, an opt-out whether or not (see ``STOP_ANSWERED``)."""
        STOP_ANSWERED.queue(pipe, self._enrolment_keys(name), [reason, repr(now), *members])

    async def stop(self, name: str, member: str, reason: str, now: float) -> bool:
        """End an active enrolment for ``reason``, or a finished one whose last step
        quiet hours hold back still; False when there was none such."""
        args = [member, reason, repr(now)]
        return bool(await STOP(self.redis, self._enrolment_keys(name), args))

    async def enrolment(self, name: str, member: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self._k(name, "en"), member)
        return json.loads(raw) if raw else None

    async def enrolments(self, name: str, members: Sequence[str]) -> list[dict[str, Any] | None]:
        if not members:
            return []
        found: Any = await self.redis.hmget(self._k(name, "en"), list(members))
        return [json.loads(raw) if raw else None for raw in found]

    async def due(self, name: str, now: float, limit: int) -> list[str]:
        """Members whose next step is due, the longest due first."""
        found: Any = await self.redis.zrangebyscore(
            self._k(name, "due"), "-inf", now, start=0, num=limit
        )
        return [str(member) for member in found]

    async def next_due(self, names: Sequence[str]) -> float | None:
        """When the first step of any of the sequences is due."""
        if not names:
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.zrange(self._k(name, "due"), 0, 0, withscores=True)
            found: list[Any] = await pipe.execute()
        times = [float(first[0][1]) for first in found if first]
        return min(times) if times else None

    async def claim(
        self, name: str, members: Sequence[str], waits: Sequence[float], fence: int, now: float
    ) -> list[tuple[int, int, list[str]]] | None:
        """Claim the due steps of ``members`` (see ``CLAIM``): the batches made, as (run,
        step, entries); None when ``fence`` is stale."""
        keys = [*self._enrolment_keys(name), self._k(name, "pend")]
        args = [fence, repr(now), json.dumps(list(waits)), *members]
        made = await CLAIM(self.redis, keys, args)
        if made is None:
            return None
        return [_batch(int(made[n]), made[n + 1]) for n in range(0, len(made), 2)]

    async def pending(self, name: str) -> list[tuple[int, int, list[str]]]:
        """Batches claimed and not handed over (a crash in between)."""
        found: Any = await self.redis.hgetall(self._k(name, "pend"))
        return sorted(_batch(int(run), raw) for run, raw in found.items())

    async def hand_over(self, nid: str, run: int, entries: Sequence[str]) -> str:
        """Write a batch as the audience of its notification's run, once; the run's status
        then (``new`` when not started, ``done`` when it is over)."""
        keys = [
            self.keys.notification_run(nid, run, "m"),
            self.keys.notification_run(nid, run, "a"),
        ]
        return str(await HAND_OVER(self.redis, keys, list(entries)))

    async def handed_over(self, name: str, run: int) -> None:
        await self.redis.hdel(self._k(name, "pend"), str(run))

    async def push_back(
        self, name: str, moves: Sequence[tuple[float, float, Sequence[str]]]
    ) -> None:
        """Move each member's next step to at least its time, noting when its deferred
        step goes (see ``PUSH_BACK``); each move names the member's possible names, the
        first enrolled one is moved."""
        keys = [self._k(name, "due"), self._k(name, "en")]
        async with self.redis.pipeline(transaction=False) as pipe:
            for at, goes, members in moves:
                PUSH_BACK.queue(pipe, keys, [repr(at), repr(goes), *members])
            await pipe.execute()

    async def dropped(self, name: str, run: int, step: int, entries: int) -> None:
        """A batch its step's notification will not send (it was cancelled or stopped):
        counted as ``dropped:<step>`` in the one step that lets go of the batch, so a
        batch handed over again after a crash is counted once."""
        async with self.redis.pipeline(transaction=True) as pipe:  # one tag: one slot
            pipe.hdel(self._k(name, "pend"), str(run))
            pipe.hincrby(self._k(name, "m"), f"dropped:{step}", entries)
            await pipe.execute()

    async def counts(self, name: str) -> dict[str, int]:
        found: Any = await self.redis.hgetall(self._k(name, "m"))
        return {field: int(value) for field, value in found.items()}

    async def members(self, name: str, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        """Up to ``limit`` enrolments (a scan: admin use)."""
        found = []
        async for member, raw in self.redis.hscan_iter(self._k(name, "en"), count=500):
            found.append((str(member), json.loads(raw)))
            if len(found) >= limit:
                break
        return found

    async def ran(self, name: str) -> None:
        await self.redis.sadd(self.keys.sequence_names(), name)

    async def names(self) -> set[str]:
        found: Any = await self.redis.smembers(self.keys.sequence_names())
        return {str(name) for name in found}

    async def forget(self, names: Sequence[str], members: Sequence[str]) -> int:
        """Erasure (PS-7): the enrolments of ``members`` (one person's names) gone from
        each of the sequences ``names``, and uncounted; how many there were."""
        if not members:
            return 0
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                FORGET.queue(pipe, self._enrolment_keys(name), list(members))
            found: list[Any] = await pipe.execute()
        return sum(int(gone) for gone in found)


def _batch(run: int, raw: str) -> tuple[int, int, list[str]]:
    batch = json.loads(raw)
    return run, int(batch["step"]), list(batch["entries"])
