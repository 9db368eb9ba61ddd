"""The profile store's contract, and its records: reading and writing one profile's hash,
its refusals, and following ``merged_into`` pointers; ``stores/profiles.py`` builds
stitching on them."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis, RedisCluster

from bot.model import Identity, MergePolicy
from stores.pipeline import Rider, Take, ride
from stores.profile_scripts import ABSORB, EMPTY_ERASED, REPOINT
from stores.redis import Keys, Pipe
from stores.suppression import Suppression

log = logging.getLogger(__name__)

MAX_CHAIN = 16
_POINTER = ("id", "merged_into", "erased_at")
"""What a profile's hash says of where it leads: read by ``owners_and_roots`` and
``roots_and_erasures``, followed by the latter."""
OWNERS_SEEN = 20_000
"""Identities whose owner a process keeps in mind to guess it next time (about 5 MB)."""
"""Pointers followed from one index entry; merges only point older, so chains end."""
MAX_REFUSALS = 100
TIMES = frozenset({"created_at", "merged_at", "erased_at"})
CONSENT_TRAIL = ("consent_source", "consent_at")
"""Hash fields kept beside ``f:consent`` (the lawful basis): where it came from, when."""


def consent_trail(source: str, at: float, *, overwrite: bool) -> dict[str, str]:
    """The fields recording that ``source`` (``api:<service>``, ``import``,
    ``flow:<flow>:<step>``) set the lawful basis at ``at``, to write with ``f:consent``
    and with the same overwrite (``!``) as it."""
    bang = "!" if overwrite else ""
    return {f"{bang}consent_source": source[:200], f"{bang}consent_at": repr(float(at))}


"""Profile fields that are unix times: numbers in what ``get`` answers."""


@dataclass(frozen=True, slots=True)
class Sighting:
    """Identities seen together on one message; the first is the channel's own."""

    identities: tuple[Identity, ...]
    channel: str
    name: str
    at: float
    fields: Mapping[str, str] = field(default_factory=dict)
    """Set on the profile where it has no value yet (``f:<name>`` for custom fields)."""
    owner: str = ""
    """The owner a profile created by this sighting gets (PS-5)."""


@dataclass(frozen=True, slots=True)
class Merge:
    """One profile folded into an older one (PS-2)."""

    survivor: str
    merged: str
    identities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Refusal:
    """A merge or attachment the merge policy refused, and why."""

    profile: str
    other: str
    reason: str
    identities: tuple[str, ...] = ()


@dataclass(slots=True)
class Resolution:
    """Where one sighting landed."""

    profile: str = ""
    """'' when no identity could be used (all blocked, or erased since)."""
    created: bool = False
    suppressed: bool = False
    """Every identity was erased after this sighting happened: drop its message (PS-7)."""
    merges: list[Merge] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


class BaseProfileStore(Protocol):
    """The identity graph: profiles found, created and merged by identities, and read."""

    async def resolve(
        self, identities: Sequence[Identity], *, channel: str, name: str = "", at: float = 0
    ) -> str:
        """The profile of ``identities`` (the first one is the primary), created when new."""

    async def resolve_many(
        self, sightings: Sequence[Sighting], also: Rider | None = None
    ) -> list[Resolution]:
        """Where each sighting lands, in order; new identities attach, several matches merge.
        ``also`` rides the first round trip, where there is one that takes riders."""

    async def merge(self, first: str, second: str) -> Merge | Refusal | None:
        """Merge two profiles; the older survives. None when they already are one."""

    async def attach(self, profile_id: str, identity: Identity, channel: str) -> str:
        """Give a live profile one more identity unless it is someone's; who holds it now."""

    async def owners(self, identities: Sequence[Identity]) -> list[str | None]:
        """The profile each identity's index entry names (maybe merged since)."""

    async def roots_and_erasures(
        self, profile_ids: set[str | None], unknown: Sequence[Identity]
    ) -> tuple[dict[str, str], dict[Identity, float]]:
        """The live profile each id leads to, and when the ``unknown`` identities were erased."""

    async def root(self, profile_id: str) -> str:
        """The live profile ``profile_id`` leads to, '' when unknown or erased."""

    async def lookup(self, identity: Identity) -> str:
        """The live profile of ``identity``, '' when none."""

    async def name(self, profile_id: str) -> str:
        """The name kept on the profile, '' when it has none; follows no pointer."""

    async def name_of(self, profile_id: str) -> str:
        """The name on the live profile ``profile_id`` leads to, '' when none."""

    async def get(self, profile_id: str) -> dict[str, Any]:
        """The profile as stored ({} when unknown), with its refusals; follows no pointer."""

    async def suppress(
        self, identities: Sequence[Identity], profile_ids: Sequence[str], at: float
    ) -> None:
        """Erase identities: note when, and drop their entries pointing at ``profile_ids``."""

    async def mark_erased(self, profile_ids: Sequence[str], at: float) -> set[str]:
        """Empty each profile but for its id and when it was erased; the conversations
        they named then."""

    def queue_conversation(
        self, pipe: Pipe, profile_id: str, conversation_id: str, owner: str = ""
    ) -> None:
        """Note that the profile talks in this conversation; give it ``owner`` unless it has one."""

    async def fill(self, values: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        """Set fields of profiles where they have none yet, following merges."""

    async def update(self, profile_id: str, values: Mapping[str, str]) -> bool:
        """Overwrite fields of a live profile; False when it is gone or merged."""


class ProfileRecords:
    """One profile at a time: its hash, where its pointer leads, what it refused."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        policy: MergePolicy | None = None,
        load_secret: Callable[[], Awaitable[bytes]] | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.policy = policy or MergePolicy()
        self.suppression = Suppression(redis, keys, load_secret)
        """Its digests are keyed by ``load_secret``'s secret (the links'), when given."""
        caps = sorted((kind, self.policy.cap(kind)) for kind in self.policy.caps)
        self._owners_seen: dict[Identity, str] = {}
        """The profile each identity's entry named when this process last read it: which
        profiles to read beside the entries (``owners_and_roots``)."""
        self._caps_args: list[Any] = [len(caps)] + [item for pair in caps for item in pair]
        self._following: set[asyncio.Task[None]] = set()
        """Links being moved to where their profile was merged (``queue_conversation``)."""
        self.erased_link: Callable[[str, str], Awaitable[None]] | None = None
        """Told (the profile, the conversation) of a link written to a profile erased
        meanwhile: a message stitched to the person just before the erasure, recorded
        after it, whose conversation the erasure did not see."""

    def _h(self, profile_id: str) -> str:
        return self.keys.profile(profile_id)

    def _absorb_args(
        self, fields: Mapping[str, str], identities: Iterable[Identity | str], merged: str
    ) -> list[Any]:
        keys = [i.key if isinstance(i, Identity) else i for i in identities]
        flat = [item for pair in fields.items() for item in pair]
        return [repr(time.time()), merged, *self._caps_args, len(fields), *flat, *keys]

    async def owners(self, identities: Sequence[Identity]) -> list[str | None]:
        """The profile each identity's index entry names (maybe merged since), in one
        round trip."""
        if not identities:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for identity in identities:
                pipe.get(self.keys.identity(identity))
            return list(await pipe.execute())

    async def owners_and_roots(
        self, identities: Sequence[Identity], also: Rider | None = None
    ) -> tuple[list[str | None], dict[str, str] | None, dict[Identity, float]]:
        """``owners`` and, in the same round trip, where each of them leads and when the
        identities with no entry were erased, when this process guessed each right: every
        entry names the profile it named the last time this process read it, and the
        identities it has no guess for (likely new) have no entry. A known customer's
        profile in one round trip, and a new customer's erasure check in it too. The roots
        are None (and the erasures empty) when an entry names another profile than
        guessed, or is gone: ``roots_and_erasures`` then reads them.

        The guess only chooses what to read: the owners are those the entries name now,
        and the roots those of these very profiles, read in the same pipeline as the
        entries, so a guess gone stale costs a round trip, never a wrong answer. When an
        identity was erased is read after its entry, as ``roots_and_erasures`` reads it:
        an erasure notes the time before it drops the entries. A cluster sends each node
        its part of a pipeline on its own, in no order between them, so there the
        erasures are left to ``roots_and_erasures``.

        ``also`` rides that round trip (``stores.pipeline.ride``) where the pipeline takes
        riders; with no identities there is none, and it is not called."""
        if not identities:
            return [], {}, {}
        await self.suppression.ready()
        guesses = [self._owners_seen.get(identity) for identity in identities]
        guessed = sorted({guess for guess in guesses if guess})
        unguessed = []
        if not isinstance(self.redis, RedisCluster):
            unguessed = [i for i, guess in zip(identities, guesses, strict=True) if not guess]
        async with self.redis.pipeline(transaction=False) as pipe:
            if also is not None:
                ride(pipe, also)
            for identity in identities:
                pipe.get(self.keys.identity(identity))
            for profile_id in guessed:
                pipe.hmget(self._h(profile_id), *_POINTER)
            self.suppression.queue_lookup(pipe, unguessed)
            results = await pipe.execute()
        owners: list[str | None] = results[: len(identities)]
        for identity, owner in zip(identities, owners, strict=True):
            self._remember_owner(identity, owner)
        checked = set(unguessed)
        if not all(
            owner == guess if owner else identity in checked
            for identity, owner, guess in zip(identities, owners, guesses, strict=True)
        ):
            return owners, None, {}
        pointers_at = len(identities) + len(guessed)
        read = dict(zip(guessed, results[len(identities) : pointers_at], strict=True))
        roots, _ = await self.roots_and_erasures({o for o in owners if o}, [], read=read)
        return owners, roots, self.suppression.read_lookup(unguessed, results[pointers_at:])

    def _remember_owner(self, identity: Identity, owner: str | None) -> None:
        seen = self._owners_seen
        if not owner:
            seen.pop(identity, None)
            return
        if identity not in seen and len(seen) >= OWNERS_SEEN:
            del seen[next(iter(seen))]  # the longest known goes first
        seen[identity] = owner

    async def roots_and_erasures(
        self,
        profile_ids: set[str | None],
        unknown: Sequence[Identity],
        read: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, str], dict[Identity, float]]:
        """The live profile each id leads to ('' when erased), and when unknown identities
        were erased; in one round trip unless a pointer leads further. ``read``: each
        profile's ``id``, ``merged_into`` and ``erased_at``, already read (with no
        ``unknown``), for the pointers alone to be followed here."""
        if unknown:
            await self.suppression.ready()
        pending = sorted(p for p in profile_ids if p)
        roots: dict[str, str] = {}
        erased_at: dict[Identity, float] = {}
        chain: dict[str, str] = {}
        first = True
        for _ in range(MAX_CHAIN):
            if not pending and not first:
                break
            if first and read is not None:
                results = [read[profile_id] for profile_id in pending]
            else:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for profile_id in pending:
                        pipe.hmget(self._h(profile_id), *_POINTER)
                    if first:
                        self.suppression.queue_lookup(pipe, unknown)
                    results = await pipe.execute()
                if first:
                    erased_at = self.suppression.read_lookup(unknown, results[len(pending) :])
            first = False
            following = []
            for profile_id, (pid, into, erased) in zip(pending, results, strict=False):
                if into:
                    chain[profile_id] = into
                    if into not in roots and into not in chain:
                        following.append(into)
                else:
                    roots[profile_id] = "" if (not pid or erased) else profile_id
            pending = following
        for start in chain:
            hop, seen = start, 0
            while hop in chain and seen < MAX_CHAIN:
                hop, seen = chain[hop], seen + 1
            roots[start] = roots.get(hop, "")
        return roots, erased_at

    async def root(self, profile_id: str) -> str:
        """The live profile ``profile_id`` leads to, '' when unknown or erased."""
        roots, _ = await self.roots_and_erasures({profile_id}, [])
        return roots.get(profile_id, "")

    async def lookup(self, identity: Identity) -> str:
        """The live profile of ``identity``, '' when none."""
        (owner,) = await self.owners([identity])
        return await self.root(owner) if owner else ""

    async def name(self, profile_id: str) -> str:
        """The name kept on the profile, '' when it has none; follows no pointer."""
        found = await self.redis.hget(self._h(profile_id), "name")
        return str(found) if found else ""

    async def name_of(self, profile_id: str) -> str:
        """The name on the live profile ``profile_id`` leads to, '' when none."""
        root = await self.root(profile_id) if profile_id else ""
        return await self.name(root) if root else ""

    async def get(self, profile_id: str) -> dict[str, Any]:
        """The profile as stored ({} when unknown), with its refusals; follows no pointer."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._h(profile_id))
            pipe.lrange(self.keys.profile(profile_id, "refused"), 0, 19)
            data, refused = await pipe.execute()
        if not data:
            return {}
        profile: dict[str, Any] = {
            name: float(value) if name in TIMES else value
            for name, value in data.items()
            if ":" not in name and name not in CONSENT_TRAIL
        }
        if data.get("f:consent") or data.get("consent_source"):
            profile["consent"] = {
                "basis": data.get("f:consent", ""),
                "source": data.get("consent_source", ""),
                "at": float(data["consent_at"]) if data.get("consent_at") else None,
            }
        profile["identities"] = sorted(f[2:] for f in data if f.startswith("i:"))
        profile["fields"] = {f[2:]: v for f, v in data.items() if f.startswith("f:")}
        profile["conversations"] = sorted(f[2:] for f in data if f.startswith("c:"))
        profile["merged"] = sorted(f[2:] for f in data if f.startswith("m:"))
        profile["refusals"] = [json.loads(item) for item in refused]
        return profile

    async def _record_refusals(self, refusals: Sequence[Refusal]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for refusal in refusals:
                record = json.dumps(
                    {
                        "at": time.time(),
                        "profile": refusal.profile,
                        "other": refusal.other,
                        "reason": refusal.reason,
                        "identities": list(refusal.identities),
                    }
                )
                for profile_id in filter(None, (refusal.profile, refusal.other)):
                    key = self.keys.profile(profile_id, "refused")
                    pipe.lpush(key, record)
                    pipe.ltrim(key, 0, MAX_REFUSALS - 1)
            await pipe.execute()

    async def suppress(
        self, identities: Sequence[Identity], profile_ids: Sequence[str], at: float
    ) -> None:
        """Erase identities (PS-7): note when (as a digest only), and drop their index
        entries that still point at one of ``profile_ids``; in one round trip."""
        await self.suppression.ready()
        async with self.redis.pipeline(transaction=False) as pipe:
            self.suppression.queue_record(pipe, identities, at)
            for identity in identities:
                for profile_id in profile_ids:
                    REPOINT.queue(pipe, [self.keys.identity(identity)], [profile_id, ""])
            await pipe.execute()

    async def mark_erased(self, profile_ids: Sequence[str], at: float) -> set[str]:
        """Empty each profile but for its id and when it was erased, and drop its
        refusals, from the other profile's list of each too (a refusal names both
        profiles' identities); in two round trips. The conversations the profiles named
        as they were emptied: one a message began while the erasure ran among them."""
        erased = set(profile_ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for profile_id in profile_ids:
                pipe.lrange(self.keys.profile(profile_id, "refused"), 0, -1)
            listed = await pipe.execute()
        async with self.redis.pipeline(transaction=False) as pipe:
            for record in {record for records in listed for record in records}:
                refusal = json.loads(record)
                for other in {refusal.get("profile"), refusal.get("other")} - erased - {None}:
                    pipe.lrem(self.keys.profile(str(other), "refused"), 0, record)
            for profile_id in profile_ids:
                keys = [self._h(profile_id), self.keys.profile(profile_id, "refused")]
                EMPTY_ERASED.queue(pipe, keys, [at, profile_id])
            answers = await pipe.execute() if profile_ids else []
        return {str(c) for found in answers[len(answers) - len(profile_ids) :] for c in found}

    def queue_conversation(
        self, pipe: Pipe, profile_id: str, conversation_id: str, owner: str = ""
    ) -> None:
        """Note on the caller's pipeline that the profile talks in this conversation,
        and give it ``owner`` unless it has one.

        The profile may be merged away before the pipeline is sent: its merge carries the
        links it finds, and the pointer read after the write tells of a merge that came
        first, whose survivor gets the link once the pipeline is answered."""
        key = self._h(profile_id)
        link = {f"c:{conversation_id}": "1"} | ({"owner": owner} if owner else {})

        def queue(riding: Pipe) -> Take:
            queue_link(riding)
            riding.hmget(key, "merged_into", "erased_at")
            return lambda answers: self._follow(answers, link, profile_id, conversation_id)

        def queue_link(into: Pipe) -> None:
            into.hset(key, f"c:{conversation_id}", "1")
            if owner:
                into.hsetnx(key, "owner", owner)

        if not ride(pipe, queue):  # a transaction's: written as it is
            queue_link(pipe)

    def _follow(
        self,
        answers: list[Any] | BaseException,
        link: dict[str, str],
        profile_id: str,
        conversation_id: str,
    ) -> None:
        """Write ``link`` on the survivor of the profile it was written on, if merged; tell
        ``erased_link`` of one written on a profile erased meanwhile."""
        if isinstance(answers, BaseException) or not answers:
            return
        found = answers[-1]
        if isinstance(found, BaseException) or not isinstance(found, list | tuple):
            return
        into, erased = [*found, None, None][:2]
        if erased:
            if self.erased_link is not None:
                self._start(self._erased_link(profile_id, conversation_id))
        elif into:
            self._start(self.fill([(str(into), link)]))

    async def _erased_link(self, profile_id: str, conversation_id: str) -> None:
        await self.redis.hdel(self._h(profile_id), f"c:{conversation_id}")
        if self.erased_link is not None:
            await self.erased_link(profile_id, conversation_id)

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._following.add(task)
        task.add_done_callback(self._followed)

    def _followed(self, task: asyncio.Task[None]) -> None:
        self._following.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "a conversation's link to a merged or erased profile not followed: %r",
                task.exception(),
            )

    async def fill(self, values: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        """Set fields of profiles where they have none yet (``!field`` overwrites),
        following profiles merged away to where they went; missing ones are skipped."""
        pending = [(profile_id, fields) for profile_id, fields in values if fields]
        for _ in range(MAX_CHAIN):
            if not pending:
                return
            async with self.redis.pipeline(transaction=False) as pipe:
                for profile_id, fields in pending:
                    ABSORB.queue(pipe, [self._h(profile_id)], self._absorb_args(fields, (), ""))
                answers = await pipe.execute()
            pending = [
                (str(answer[1]), fields)
                for (_, fields), answer in zip(pending, answers, strict=True)
                if answer[0] == "merged"
            ]

    async def update(self, profile_id: str, values: Mapping[str, str]) -> bool:
        """Overwrite fields of a live profile; False when it is gone or merged."""
        args = self._absorb_args({f"!{k}": v for k, v in values.items()}, (), "")
        status, _ = await ABSORB(self.redis, [self._h(profile_id)], args)
        return bool(status == "ok")
