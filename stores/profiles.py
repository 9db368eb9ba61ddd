"""The identity graph: one index key per identity, pointing at its profile, and merges.

Layout (every key under the prefix):
- ``id:<kind>:<value>``: the profile id of one identity (its own slot);
- ``{p:<id>}:h``: the profile hash: ``id created_at stage source name owner``, custom
  fields ``f:<name>``, identities ``i:<kind>:<value>``, conversations ``c:<id>``,
  profiles merged into it ``m:<id>``, and ``merged_into`` once it lost a merge;
- ``{p:<id>}:refused``: merges and attachments refused by the merge policy, newest first.

A merge never moves data across slots in one step: the survivor absorbs the loser's
identities (a script on its slot), the loser gets a ``merged_into`` pointer (a script on
its own), and the index entries (and its conversations' records) are moved one by one.
Readers follow pointers, so a crash between steps leaves a graph that still resolves, and
the next stitch finishes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from redis.asyncio import RedisCluster

from bot.model import Identity
from stores.pipeline import Rider
from stores.profile_records import (
    CONSENT_TRAIL,
    MAX_CHAIN,
    BaseProfileStore,
    Merge,
    ProfileRecords,
    Refusal,
    Resolution,
    Sighting,
)
from stores.profile_scripts import ABSORB, POINT, REPOINT, REPOINT_CONVERSATION
from stores.redis import Pipe, Script

HOLD_SECONDS = 60
"""How long a hold on a profile (``ProfileStore.holding``) lasts when its holder dies."""
HOLD_POLL = 0.02
_LET_GO = Script(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
)


@dataclass(slots=True)
class _Plan:
    """What one sighting writes: identities to claim, entries to bring up to date."""

    index: int
    profile: str
    fresh: list[Identity]
    create: bool
    behind: list[tuple[Identity, str]] = field(default_factory=list)
    """Entries that still point at a profile merged since, with that profile."""


@dataclass(slots=True)
class _Outcome:
    """What one round trip of plans came to: sightings to redo, claims to give back."""

    retry: list[int] = field(default_factory=list)
    undo: list[tuple[Identity, str]] = field(default_factory=list)
    folds: dict[str, str] = field(default_factory=dict)
    """New profile -> the profile another process created for the same person a moment
    earlier, which won an identity both claimed: the new one folds into it."""
    lost: set[Identity] = field(default_factory=set)
    kept: dict[int, list[tuple[Identity, str]]] = field(default_factory=dict)
    """The claims each sighting that went through took."""
    alone: dict[int, Refusal] = field(default_factory=dict)
    """Sightings whose channel identity, held by no profile, the profile another of
    their identities found refused: they land on a profile of their own."""


_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits))


def new_profile_id(at: float) -> str:
    """Profile ids sort by creation time, so "the oldest survives" needs no extra lookup.

    Milliseconds (9 base-36 digits last until the year 5000), then 64 random bits: a
    batch of new customers shares its millisecond, so the random part must not collide.
    """
    return f"p_{_base36(int(at * 1000), 9)}{_base36(secrets.randbits(64), 13)}"


class ProfileStore(ProfileRecords, BaseProfileStore):
    """Find, create and merge the profiles behind identities (PS-2, PS-8)."""

    async def resolve(
        self, identities: Sequence[Identity], *, channel: str, name: str = "", at: float = 0
    ) -> str:
        """The profile of ``identities`` (the first one is the primary), created when new."""
        sighting = Sighting(tuple(identities), channel, name, at or time.time())
        (resolution,) = await self.resolve_many([sighting])
        return resolution.profile

    async def resolve_many(
        self, sightings: Sequence[Sighting], also: Rider | None = None
    ) -> list[Resolution]:
        """Where each sighting lands, in order; new identities attach, several matches merge.

        Known customers cost one round trip (two the first time this process sees them,
        unless it made or found their profile itself), new ones two (four on a
        cluster), whatever the batch size. Several matches, or a race with another
        process, take the careful path: merge, then resolve that sighting again.

        ``also`` rides the first round trip, where there is one and its pipeline takes
        riders (``owners_and_roots``): another part's reads at no round trip of their own.
        """
        if any(not sighting.identities for sighting in sightings):
            raise ValueError("resolve needs at least one identity per sighting")
        usable = [
            tuple(i for i in dict.fromkeys(s.identities) if not self.policy.is_blocked(i))
            for s in sightings
        ]
        every = sorted({i for ids in usable for i in ids}, key=lambda i: i.key)
        owners, guessed_roots, guessed_erasures = await self.owners_and_roots(every, also)
        owner = dict(zip(every, owners, strict=True))
        unknown = [i for i in every if not owner[i]]
        if guessed_roots is None:
            roots, erased_at = await self.roots_and_erasures(set(owner.values()), unknown)
        else:  # every entry as guessed, and the unknown ones' erasures read beside them
            roots, erased_at = guessed_roots, guessed_erasures

        resolutions = [Resolution() for _ in sightings]
        past_caps: dict[int, Refusal] = {}
        plans: list[_Plan] = []
        careful: list[int] = []
        planned: dict[Identity, str] = {}
        root_of = {i: roots.get(owner[i] or "", "") for i in every}
        lives: dict[int, list[Identity]] = {}
        for index, (sighting, ids) in enumerate(zip(sightings, usable, strict=True)):
            # Sent before an erasure by an identity it erased: the erased person's, whatever
            # else it carries (their username's id, their new number), and dropped whole.
            if any(i in erased_at and sent_before(sighting.at, erased_at[i]) for i in ids):
                resolutions[index].suppressed = True
                continue
            if not ids:
                continue
            live = lives[index] = list(ids)
            found = sorted({root_of[i] for i in live if root_of[i]})
            found += sorted({planned[i] for i in live if i in planned} - set(found))
            if len(found) > 1:
                careful.append(index)
                continue
            fresh = [i for i in live if not root_of[i] and i not in planned]
            profile_id = found[0] if found else new_profile_id(sighting.at)
            if not found:  # made with what it may hold; the rest is refused
                fresh, over = self.policy.within_caps(fresh)
                if over:
                    past_caps[index] = self._past_caps(profile_id, over)
            resolutions[index].profile = profile_id
            resolutions[index].created = not found
            behind = [(i, str(owner[i])) for i in live if root_of[i] not in ("", owner[i])]
            if fresh or behind or not found:
                plans.append(_Plan(index, profile_id, fresh, not found, behind))
                planned.update({i: profile_id for i in fresh})

        if plans:
            retry, lost, alone = await self._apply(plans, sightings, resolutions, owner)
            # A sighting that counted on another one's claim must follow it when it failed.
            careful += retry + [
                n
                for n, live in lives.items()
                if lost & set(live) and not resolutions[n].refusals and n not in alone
            ]
            for index, refusal in alone.items():
                resolutions[index] = await self._land_alone(sightings[index], lives[index], refusal)
        for index in sorted(set(careful)):
            resolutions[index] = await self._resolve_carefully(sightings[index], lives[index])
        made = {n: r for n, r in past_caps.items() if resolutions[n].profile == r.profile}
        for index, refusal in made.items():
            resolutions[index].refusals.append(refusal)
        if made:
            await self._record_refusals(list(made.values()))
        for index, live in lives.items():  # what their entries name now, or soon will
            if resolutions[index].profile:
                for identity in live:
                    self._remember_owner(identity, resolutions[index].profile)
        return resolutions

    async def _apply(
        self,
        plans: Sequence[_Plan],
        sightings: Sequence[Sighting],
        resolutions: list[Resolution],
        owner: Mapping[Identity, str | None],
    ) -> tuple[list[int], set[Identity], dict[int, Refusal]]:
        """Write the new profiles, claim the new identities and extend the known profiles,
        in one round trip (two on a cluster). The sightings that met a race come back for
        the careful path, with the identities whose claims were lost or undone, and those
        to land on a profile of their own (``_Outcome.alone``).

        A new profile's hash is written before any index entry names it: a reader takes
        an entry naming a profile without a hash for one an erasure left behind, and takes
        it over. Redis runs a pipeline in order, but a cluster sends each node its part of
        one on its own, so there the hashes go in a round trip of their own, first."""
        creating = [plan for plan in plans if plan.create]
        first = isinstance(self.redis, RedisCluster) and bool(creating)
        created = await self._create(creating, sightings) if first else {}
        # Nothing is claimed for a refused profile, for a new id that was someone's, nor
        # for the sightings of the batch that were to join such a profile.
        failed = {index for index, answer in created.items() if answer[0] != "ok"}
        unwritten = {plan.profile for plan in plans if plan.index in failed}
        failed.update(plan.index for plan in plans if plan.profile in unwritten and not plan.create)
        claiming = [plan for plan in plans if plan.index not in failed]
        results: Iterator[Any] = iter([])
        if claiming:
            async with self.redis.pipeline(transaction=False) as pipe:
                if not first:
                    self._queue_create(pipe, creating, sightings)
                for plan in claiming:
                    self._queue_plan(pipe, plan, sightings[plan.index], owner)
                results = iter(await pipe.execute())
        if not first:
            created = {plan.index: list(next(results)) for plan in creating}
        outcome = _Outcome()
        for plan in plans:
            own = sightings[plan.index].identities[0]
            if plan.index in failed:
                answer = created.get(plan.index, ["taken", ""])  # joined one: redo
                await self._settle(plan, own, [], answer, resolutions, outcome)
                continue
            claims = [self._claimed(owner.get(i), next(results)) for i in plan.fresh]
            for _ in plan.behind:
                next(results)
            answer = created[plan.index] if plan.create else next(results)
            await self._settle(plan, own, claims, answer, resolutions, outcome)
        for plan in plans:  # sightings of this batch that joined a profile folded away
            if plan.profile in outcome.folds and outcome.kept.pop(plan.index, None) is not None:
                outcome.retry.append(plan.index)
        outcome.lost.update(identity for identity, _ in outcome.undo)
        if outcome.undo:
            async with self.redis.pipeline(transaction=False) as pipe:
                for identity, profile_id in outcome.undo:
                    REPOINT.queue(pipe, [self.keys.identity(identity)], [profile_id, ""])
                await pipe.execute()
        for new, other in outcome.folds.items():
            await self._fold(new, other)
        return outcome.retry, outcome.lost, outcome.alone

    async def _create(
        self, plans: Sequence[_Plan], sightings: Sequence[Sighting]
    ) -> dict[int, list[Any]]:
        """Write the hashes of new profiles, with the identities they are about to claim,
        in one round trip: each plan's answer (``ok``, ``taken`` or ``refused``)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            self._queue_create(pipe, plans, sightings)
            answers = await pipe.execute()
        return {plan.index: list(answer) for plan, answer in zip(plans, answers, strict=True)}

    def _queue_create(
        self, pipe: Pipe, plans: Sequence[_Plan], sightings: Sequence[Sighting]
    ) -> None:
        for plan in plans:
            self._queue_absorb(pipe, plan.profile, sightings[plan.index], plan.fresh, True)

    async def _fold(self, new: str, other: str) -> None:
        """Fold a profile created a moment ago into the one another process created for
        the same person (PS-8): a merge with the other as survivor, whatever their ages,
        and no ``profile.merged`` for anyone, since nobody was told of the new one yet.
        Readers that saw the new one follow its pointer, as after any merge. The other
        may be merged away meanwhile: the new one follows it to where it went."""
        for _ in range(MAX_CHAIN):
            target = await self.root(other)
            if not target or target == new or await self.root(new) != new:
                return
            if not isinstance(await self._merge_pair(target, new), str):
                return
            other = target

    def _queue_plan(
        self, pipe: Pipe, plan: _Plan, sighting: Sighting, owner: Mapping[Identity, str | None]
    ) -> None:
        for identity in plan.fresh:
            key, dead = self.keys.identity(identity), owner.get(identity)
            if dead:  # an entry left pointing at an erased profile: take it over
                REPOINT.queue(pipe, [key], [dead, plan.profile])
            else:
                pipe.set(key, plan.profile, nx=True, get=True)
        # Readers compress the path: the survivor may have been read before these
        # identities reached the profile it absorbed, so it takes them now.
        for identity, merged in plan.behind:
            REPOINT.queue(pipe, [self.keys.identity(identity)], [merged, plan.profile])
        if not plan.create:  # a new profile's hash goes before its claims (``_queue_create``)
            absorbed = plan.fresh + [identity for identity, _ in plan.behind]
            self._queue_absorb(pipe, plan.profile, sighting, absorbed, False)

    async def _settle(
        self,
        plan: _Plan,
        own: Identity,
        claims: Sequence[str | None],
        answer: Sequence[Any],
        resolutions: list[Resolution],
        outcome: _Outcome,
    ) -> None:
        """Read one plan's answers: the owner each claim met (None where it took the
        entry; none at all when it claimed nothing) and what the profile's script said;
        what it took, what it lost, and what to redo. ``own``: the sighting's channel
        identity."""
        index, profile_id, fresh = plan.index, plan.profile, plan.fresh
        status, detail = answer
        lost = [i for i, prev in zip(fresh, claims, strict=False) if prev and prev != profile_id]
        taken = [(i, profile_id) for i, prev in zip(fresh, claims, strict=False) if not prev]
        outcome.lost.update(lost)
        if status == "taken":  # the new id was someone's already: give back, redo
            outcome.undo += taken
            outcome.retry.append(index)
        elif status == "refused":
            outcome.undo += taken
            refusal = Refusal(profile_id, "", detail, tuple(i.key for i in fresh))
            if not plan.create and own in fresh:  # the message is not this profile's
                outcome.alone[index] = refusal
            else:
                resolutions[index].refusals.append(refusal)
                await self._record_refusals([refusal])
        elif (
            status == "ok"
            and lost
            and plan.create
            and str(claims[fresh.index(lost[0])]).startswith("p_")
        ):
            # Another process created this person a moment ago (a WhatsApp message and
            # an SMS from one phone at once): this new profile folds into that one, and
            # the sighting lands there, rather than two people merged later (PS-8).
            outcome.folds[profile_id] = str(claims[fresh.index(lost[0])])
            outcome.retry.append(index)
        elif status != "ok" or lost:
            if lost and status == "ok":
                await self.redis.hdel(self._h(profile_id), *(f"i:{i.key}" for i in lost))
            outcome.retry.append(index)
        else:
            outcome.kept[index] = taken

    @staticmethod
    def _claimed(dead: str | None, answer: Any) -> str | None:
        """The owner a claim met: None when it took the entry, else the other profile."""
        if dead:
            return None if answer == 1 else "?"
        return str(answer) if answer else None

    def _queue_absorb(
        self,
        pipe: Pipe,
        profile_id: str,
        sighting: Sighting,
        fresh: Sequence[Identity],
        create: bool,
    ) -> None:
        fields: dict[str, str] = dict(sighting.fields)
        if sighting.name:
            fields["name"] = sighting.name
        if create:
            fields |= {
                "id": profile_id,
                "created_at": repr(sighting.at),
                "stage": "lead",
                "source": sighting.channel,
            }
            if sighting.owner:
                fields["owner"] = sighting.owner
        ABSORB.queue(pipe, [self._h(profile_id)], self._absorb_args(fields, fresh, ""))

    async def _resolve_carefully(self, sighting: Sighting, ids: Sequence[Identity]) -> Resolution:
        """One sighting at a time: merge what it ties together, then land it; redone
        until the graph holds still under it."""
        outcome = Resolution()
        for _ in range(MAX_CHAIN):
            owners = dict(zip(ids, await self.owners(ids), strict=True))
            roots, _ = await self.roots_and_erasures(set(owners.values()), [])
            found = sorted({roots[p] for p in owners.values() if p and roots.get(p)})
            refused = {r.other for r in outcome.refusals} | {r.profile for r in outcome.refusals}
            mergeable = [p for p in found if p not in refused or p == found[0]]
            if len(mergeable) > 1:
                result = await self.merge(mergeable[0], mergeable[1])
                if isinstance(result, Merge):
                    outcome.merges.append(result)
                elif isinstance(result, Refusal):
                    outcome.refusals.append(result)
                continue
            # Lands on the best match: the profile of the channel's own identity, else
            # the oldest; identities owned elsewhere (a refused merge) stay there.
            primary_root = roots.get(owners.get(ids[0]) or "", "")
            target = primary_root or (found[0] if found else "")
            fresh = [i for i in ids if not (owners[i] and roots.get(owners[i] or ""))]
            behind = [
                (i, str(owners[i]))
                for i in ids
                if roots.get(owners[i] or "") == target and owners[i] != target
            ]
            profile_id = target or new_profile_id(sighting.at)
            over: list[Identity] = []
            if not target:  # made with what it may hold; the rest is refused
                fresh, over = self.policy.within_caps(fresh)
            plan = [_Plan(0, profile_id, fresh, not target, behind)]
            single = [Resolution(profile=profile_id, created=not target)]
            if fresh or behind or not target:
                retry, _, alone = await self._apply(plan, [sighting], single, owners)
                if alone:
                    landed = await self._land_alone(sighting, ids, alone[0])
                    landed.merges[:0] = outcome.merges
                    landed.refusals[:0] = outcome.refusals
                    return landed
                if retry:
                    continue
            outcome.profile, outcome.created = single[0].profile, single[0].created
            outcome.refusals += single[0].refusals
            if over:
                outcome.refusals.append(self._past_caps(profile_id, over))
                await self._record_refusals(outcome.refusals[-1:])
            return outcome
        raise RuntimeError("the identity graph kept changing under one sighting")

    async def _land_alone(
        self, sighting: Sighting, ids: Sequence[Identity], refused: Refusal
    ) -> Resolution:
        """Land a sighting whose channel identity the profile another of its identities
        found refused to take (a cap): on a new profile, with the sighting's identities
        no live profile holds, the refusal recorded on both (README, "Profiles"). Should
        another process meanwhile change the graph under it, it stays refused where it
        was found."""
        owners = dict(zip(ids, await self.owners(ids), strict=True))
        roots, _ = await self.roots_and_erasures(set(owners.values()), [])
        fresh = [i for i in ids if not (owners[i] and roots.get(owners[i] or ""))]
        fresh, _ = self.policy.within_caps(fresh)
        profile_id = new_profile_id(sighting.at)
        single = [Resolution(profile=profile_id, created=True)]
        if sighting.identities[0] in fresh:
            plan = [_Plan(0, profile_id, fresh, True, [])]
            retry, _, alone = await self._apply(plan, [sighting], single, owners)
            if not retry and not alone and not single[0].refusals:
                refusal = replace(refused, other=profile_id)
                await self._record_refusals([refusal])
                single[0].refusals.append(refusal)
                return single[0]
        await self._record_refusals([refused])
        return Resolution(profile=refused.profile, refusals=[refused])

    def _past_caps(self, profile_id: str, over: Sequence[Identity]) -> Refusal:
        """The identities a new profile was made without, as the merge policy refused them."""
        kind = over[0].kind
        reason = f"more than {self.policy.cap(kind)} {kind} identities"
        return Refusal(profile_id, "", reason, tuple(i.key for i in over))

    async def merge(self, first: str, second: str) -> Merge | Refusal | None:
        """Merge two profiles; the older survives. None when they already are one."""
        a, b = await self.root(first), await self.root(second)
        if not a or not b:
            raise LookupError(f"no profile {first if not a else second}")
        for _ in range(MAX_CHAIN):
            if a == b:
                return None
            survivor, loser = min(a, b), max(a, b)
            result = await self._merge_pair(survivor, loser)
            if isinstance(result, str):
                a, b = await self.root(survivor), await self.root(loser)
                if not a or not b:  # erased meanwhile
                    raise LookupError(f"no profile {survivor if not a else loser}")
                continue
            return result
        raise RuntimeError("the identity graph kept changing under one merge")

    @contextlib.asynccontextmanager
    async def holding(self, profile_ids: Sequence[str]) -> AsyncIterator[None]:
        """Hold the profiles against other merges and erasures of them, in any process: a
        merge and an erasure of one person at the same moment would leave the erased
        person's identities on the survivor (or a merged person half erased). Taken in
        one order (their ids sorted), so that two holders never wait for each other; a
        holder that died lets go after ``HOLD_SECONDS``."""
        token = secrets.token_hex(8)
        held: list[str] = []
        try:
            for profile_id in sorted(set(profile_ids)):
                key = self.keys.profile(profile_id, "hold")
                deadline = time.monotonic() + HOLD_SECONDS + 5
                while not await self.redis.set(key, token, nx=True, px=HOLD_SECONDS * 1000):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"profile {profile_id} is held by another change")
                    await asyncio.sleep(HOLD_POLL)
                held.append(key)
            yield
        finally:
            for key in reversed(held):
                await _LET_GO(self.redis, [key], [token])

    async def _merge_pair(self, survivor: str, loser: str) -> Merge | Refusal | str:
        """Fold ``loser`` into ``survivor``; a str answer means a pointer moved: retry."""
        async with self.holding([survivor, loser]):
            return await self._merge_held_pair(survivor, loser)

    async def _merge_held_pair(self, survivor: str, loser: str) -> Merge | Refusal | str:
        data: Any = await self.redis.hgetall(self._h(loser))
        if data.get("merged_into") or data.get("erased_at"):
            return "moved"
        identities = [f[2:] for f in data if f.startswith("i:")]
        carried = {
            f: v
            for f, v in data.items()
            if f in ("name", "owner", *CONSENT_TRAIL) or f.startswith(("f:", "c:"))
        }
        if data.get("stage") == "contact":
            carried["!stage"] = "contact"
        carried = _never_wider(carried)
        moved: set[str] = set()
        linked = {f for f in carried if f.startswith("c:")}
        while True:
            status, *detail = await ABSORB(
                self.redis, [self._h(survivor)], self._absorb_args(carried, identities, loser)
            )
            if status == "merged" or status == "missing":
                return "moved"
            if status == "refused":
                refusal = Refusal(survivor, loser, detail[0], tuple(identities))
                await self._record_refusals([refusal])
                return refusal
            moved.update(identities)
            status, *held = await POINT(self.redis, [self._h(loser)], [survivor, repr(time.time())])
            if status == "merged":
                return "moved"
            # What arrived since the hash was read: identities, and conversations begun.
            arrived = {f[2:] for f in held if f.startswith("i:")} - moved
            begun = {f for f in held if f.startswith("c:")} - linked
            if not arrived and not begun:
                break
            identities, carried = sorted(arrived), dict.fromkeys(sorted(begun), "1")
            linked |= begun
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in sorted(moved):
                REPOINT.queue(pipe, [self.keys.identity(Identity.parse(key))], [loser, survivor])
            # The loser's conversations name the survivor, as their next message would.
            for link in sorted(linked):
                meta = self.keys.conversation(link[2:], "meta")
                REPOINT_CONVERSATION.queue(pipe, [meta], [loser, survivor])
            await pipe.execute()
        return Merge(survivor, loser, tuple(sorted(moved)))

    async def attach(self, profile_id: str, identity: Identity, channel: str) -> str:
        """Give a live profile one more identity, unless it already belongs to someone.

        Answers the profile that holds ``identity`` afterwards: ``profile_id``'s root when
        it was free (or already there), another profile when it is someone else's (never
        merged on this alone: a shared browser must not join two people), '' when the
        profile is unknown or the policy refuses it.
        """
        target = await self.root(profile_id)
        if not target or self.policy.is_blocked(identity):
            return ""
        current = await self.lookup(identity)
        if current:
            return current
        owners = {identity: (await self.owners([identity]))[0]}
        sighting = Sighting((identity,), channel, "", time.time())
        single = [Resolution(profile=target)]
        retry, _, alone = await self._apply(
            [_Plan(0, target, [identity], False)], [sighting], single, owners
        )
        if retry:
            return await self.lookup(identity)
        if alone:  # refused, and no message to land elsewhere
            await self._record_refusals(list(alone.values()))
        return "" if single[0].refusals or alone else target


def _never_wider(carried: dict[str, str]) -> dict[str, str]:
    """A merged profile's fields as its survivor takes them, so that the merge never
    widens what may be sent: the topics either unsubscribed from, all of them; of the
    two lawful bases, the one recorded later (a withdrawal, when either is undated)."""
    carried = dict(carried)
    if "f:topics_off" in carried:
        carried["+f:topics_off"] = carried.pop("f:topics_off")
    trail = [carried.pop(name, "").replace("\n", " ") for name in CONSENT_TRAIL]
    if "f:consent" in carried:
        carried["~consent"] = "\n".join([carried.pop("f:consent"), *trail])
    return carried


def sent_before(at: float, erased_at: float) -> bool:
    """Whether a message dated ``at`` was surely sent before an erasure at ``erased_at``:
    one dated in whole seconds (WhatsApp's, Telegram's) was sent at some time in its
    second, so only a second over before the erasure is; a new customer who wrote in the
    erasure's own second is not dropped."""
    if at == int(at):
        return at + 1 <= erased_at
    return at <= erased_at
