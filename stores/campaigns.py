"""A campaign's life in Redis beyond its runs: status changes made atomic (a review's frozen
audience against a send, a stop against the end of a run), and each recipient's outcome.

Layout (under the prefix; one notification's keys share the tag ``{ntf:<id>}``):
- ``{ntf:<id>}:frz``: the eligible entries its last review froze, for ``send``;
- ``{ntf:<id>}:stage:<token>``: a review's audience or eligible list while it is made;
- ``{ntf:<id>}:r:<run>:sid``: send id -> ``<run>|<recipient>``, written as a recipient
  is queued, so that a receipt or a click finds its recipient;
- ``{ntf:<id>}:o:<outcome>``: ``<run>|<recipient>`` -> when it got there, one sorted set
  per outcome (``sent`` ``delivered`` ``read`` ``failed`` ``clicked`` ``skipped``); the
  sent set keeps a send that failed later, and its readers leave it out;
- a failure's provider error code is kept with its status (``r:<run>:st``:
  ``failed|131047``);
- ``{p:<profile>}:ntf``: ``<id>|<run>|<recipient>`` -> when the campaign was queued to
  the profile.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from stores.redis import Keys, Pipe, Script

# What an erasure leaves of one recipient of a campaign (PS-7): its state without the
# identity it was reached at (``q|<conversation>||<profile>``).
_FORGET = Script(
    """
local state = redis.call('HGET', KEYS[1], ARGV[1])
if not state then return 0 end
local conversation, profile = string.match(state, '^q|([^|]*)|[^|]*|([^|]*)$')
if not conversation then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'q|' .. conversation .. '||' .. profile)
return 1
"""
)

# A recipient's state (ARGV[1]) replaced by ARGV[3] if it is ARGV[2] still: a run that
# decided about them meanwhile keeps what it wrote.
_SWAP = Script(
    """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
return 0
"""
)

# Each entry (ARGV after the first: index, then the entry read there) replaced by ARGV[1]
# if it is there still: a review that froze another list meanwhile keeps it as it is.
_REPLACE = Script(
    """
for i = 2, #ARGV, 2 do
  local index = tonumber(ARGV[i])
  if redis.call('LINDEX', KEYS[1], index) == ARGV[i + 1] then
    redis.call('LSET', KEYS[1], index, ARGV[1])
  end
end
return 0
"""
)

DRAFTED = ("draft", "reviewed")
"""A draft's statuses, before it is sent."""
OUTCOMES = ("sent", "delivered", "read", "failed", "clicked", "skipped")
"""The outcomes kept per recipient; ``unsubscribed`` is read from the profile."""
CHUNK = 1000

# Moves the record from one of the statuses ARGV[1] (space separated) to ARGV[2], with
# the fields after; answers the status before, prefixed with '+' when it moved.
TRANSITION = Script(
    """
local status = redis.call('HGET', KEYS[1], 'status') or ''
if status == 'done' then status = 'sent' end
for allowed in string.gmatch(ARGV[1], '%S+') do
  if allowed == status then
    redis.call('HSET', KEYS[1], 'status', ARGV[2])
    for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
    return '+' .. status
  end
end
return status
"""
)

# A review's eligible list becomes the frozen audience only while the campaign is a
# draft: once its send began, the review is refused and its list dropped.
COMMIT_REVIEW = Script(
    """
local status = redis.call('HGET', KEYS[1], 'status') or ''
if status ~= 'draft' and status ~= 'reviewed' then
  redis.call('DEL', KEYS[2])
  return status
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[3])
else
  redis.call('DEL', KEYS[3])
end
redis.call('HSET', KEYS[1], 'status', 'reviewed', 'review', ARGV[1], 'reviewed_at', ARGV[2])
return '+' .. status
"""
)

# A click on a tracked link of a campaign's message: its recipient, clicked (once).
CLICK = Script(
    """
local who = redis.call('HGET', KEYS[1], ARGV[1])
if not who then return 0 end
return redis.call('ZADD', KEYS[2], 'NX', ARGV[2], who)
"""
)


class BaseCampaignStore(Protocol):
    """Status changes, review staging and recipients' outcomes of campaigns."""

    async def transition(
        self, nid: str, allowed: Sequence[str], to: str, **fields: str
    ) -> tuple[bool, str]:
        """Move the status to ``to`` if it is one of ``allowed``; (moved, status before)."""

    def stage_key(self, nid: str) -> str:
        """A fresh key for one review's working list, in the campaign's slot."""

    async def stage(self, key: str, entries: Sequence[str], ttl: int = 3600) -> None:
        """Replace the list ``key`` with ``entries``, lapsing after ``ttl`` (0: never)."""

    async def stage_from(self, key: str, source: str) -> int:
        """Copy a number's conversations into ``key`` as ``c:<id>`` entries; how many."""

    async def staged(self, key: str, start: int, count: int) -> list[str]:
        """``count`` entries of a staged list from ``start``."""

    async def drop(self, key: str) -> None:
        """Delete a staged list."""

    async def commit_review(self, nid: str, staged: str, review: str, at: float) -> str:
        """Freeze ``staged`` with the review while a draft; '' or the refusing status."""

    async def click(self, nid: str, run: int, send_id: str, at: float) -> None:
        """The recipient of ``send_id`` clicked a tracked link of it."""

    def queue_received(
        self, pipe: Pipe, profile_id: str, nid: str, run: int, recipient: str, at: float
    ) -> None:
        """Note on the profile that the campaign was queued to it."""

    def queue_named(
        self, pipe: Pipe, profile_id: str, nid: str, run: int | None, at: float
    ) -> None:
        """Note on the profile that the campaign named it by an identity and did not queue
        it: skipped it, or deferred it in ``run``. An erasure finds the identity there."""

    async def received(self, profile_ids: Sequence[str], limit: int) -> list[tuple[str, float]]:
        """The campaigns queued to these profiles, the newest first."""

    async def forget(self, profile_ids: Sequence[str], named: Callable[[str], bool]) -> int:
        """Erasure: what the campaigns queued to these profiles kept of their identities."""

    async def page(self, nid: str, outcome: str, start: int, count: int) -> list[tuple[str, float]]:
        """``count`` recipients of an outcome from ``start``, with when they got there."""

    async def outcomes_of(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """For each (campaign, recipient): the outcomes it reached, and when."""

    async def failure_codes(self, nid: str, sends: Sequence[tuple[int, str]]) -> list[str]:
        """The provider's error code of each (run, send id) that failed ('' when none)."""

    async def failed_among(self, nid: str, who: Sequence[str]) -> list[bool]:
        """Whether each recipient's send failed."""

    async def states(self, pairs: Sequence[tuple[str, str]]) -> list[str]:
        """For each (campaign, recipient): its state in its run."""

    async def members(self, nid: str, outcome: str) -> set[str]:
        """Every recipient of an outcome."""

    async def queued(self, nid: str, runs: Sequence[int]) -> dict[str, str]:
        """Every recipient queued in these runs, with its state."""

    async def records(self, nids: Sequence[str]) -> list[dict[str, str]]:
        """Each campaign's record ({} when unknown), in one round trip."""


class CampaignStore(BaseCampaignStore):
    """Status changes, review staging and recipients' outcomes of campaigns."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _k(self, nid: str, part: str) -> str:
        return self.keys.notification(nid, part)

    def outcome_key(self, nid: str, outcome: str) -> str:
        return self._k(nid, f"o:{outcome}")

    def sid_key(self, nid: str, run: int) -> str:
        return self.keys.notification_run(nid, run, "sid")

    def profile_key(self, profile_id: str) -> str:
        return self.keys.profile(profile_id, "ntf")

    def named_key(self, profile_id: str) -> str:
        return self.keys.profile(profile_id, "ntfn")

    # --- Status -------------------------------------------------------------------

    async def transition(
        self, nid: str, allowed: Sequence[str], to: str, **fields: str
    ) -> tuple[bool, str]:
        """Set the status to ``to`` (and ``fields``) if it is one of ``allowed`` now
        (an old ``done`` counts as ``sent``); (whether it moved, the status before)."""
        args: list[Any] = [" ".join(allowed), to]
        for name, value in fields.items():
            args += [name, value]
        answer = str(await TRANSITION(self.redis, [self._k(nid, "h")], args))
        return answer.startswith("+"), answer.lstrip("+")

    # --- Reviews -------------------------------------------------------------------

    def stage_key(self, nid: str) -> str:
        """A fresh key for one review's working list, in the campaign's slot."""
        return self._k(nid, f"stage:{secrets.token_hex(6)}")

    async def stage(self, key: str, entries: Sequence[str], ttl: int = 3600) -> None:
        """Replace the list ``key`` with ``entries``; it lapses after ``ttl`` seconds
        (0: never), so that a review cut short leaves nothing for good."""
        async with self.redis.pipeline(transaction=True) as pipe:  # one tag: one slot
            pipe.delete(key)
            for start in range(0, len(entries), CHUNK):
                pipe.rpush(key, *entries[start : start + CHUNK])
            if ttl:
                pipe.expire(key, ttl)
            await pipe.execute()

    async def stage_from(self, key: str, source: str) -> int:
        """Copy a number's conversations (the sorted set ``source``) into ``key`` as
        ``c:<id>`` entries; how many."""
        total = 0
        batch: list[str] = []
        async for member, _ in self.redis.zscan_iter(source, count=CHUNK):
            batch.append(f"c:{member}")
            if len(batch) >= CHUNK:
                total = await self._push(key, batch)
                batch = []
        if batch:
            total = await self._push(key, batch)
        await self.redis.expire(key, 3600)
        return total

    async def _push(self, key: str, batch: list[str]) -> int:
        return int(await self.redis.rpush(key, *batch))

    async def staged(self, key: str, start: int, count: int) -> list[str]:
        found: Any = await self.redis.lrange(key, start, start + count - 1)
        return list(found)

    async def drop(self, key: str) -> None:
        await self.redis.delete(key)

    async def commit_review(self, nid: str, staged: str, review: str, at: float) -> str:
        """Make ``staged`` the frozen audience and the review the campaign's, if it is
        still a draft; '' when it was, else the status that refused it."""
        keys = [self._k(nid, "h"), staged, self._k(nid, "frz")]
        answer = str(await COMMIT_REVIEW(self.redis, keys, [review, repr(at)]))
        return "" if answer.startswith("+") else answer

    # --- Outcomes ------------------------------------------------------------------

    async def click(self, nid: str, run: int, send_id: str, at: float) -> None:
        await CLICK(
            self.redis, [self.sid_key(nid, run), self.outcome_key(nid, "clicked")], [send_id, at]
        )

    def queue_received(
        self, pipe: Pipe, profile_id: str, nid: str, run: int, recipient: str, at: float
    ) -> None:
        """Note on the profile that the campaign was queued to it."""
        pipe.zadd(self.profile_key(profile_id), {f"{nid}|{run}|{recipient}": at})

    def queue_named(
        self, pipe: Pipe, profile_id: str, nid: str, run: int | None, at: float
    ) -> None:
        """Note on the profile that the campaign named it by an identity and did not queue
        it: skipped it, or deferred it in ``run``. An erasure finds the identity there."""
        pipe.zadd(self.named_key(profile_id), {nid if run is None else f"{nid}|{run}": at})

    async def forget(self, profile_ids: Sequence[str], named: Callable[[str], bool]) -> int:
        """Erasure (PS-7): the identities that the campaigns queued to these profiles kept
        of them: gone from each recipient's state, and, in each audience (and a review's
        frozen list) that listed the person by an entry ``named`` says is theirs, the
        profile's id instead (the first's, in a campaign not queued to them yet: a draft,
        or one to come); and the profiles' own lists of campaigns. The campaigns met."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for profile_id in profile_ids:
                pipe.zrange(self.profile_key(profile_id), 0, -1)
            for profile_id in profile_ids:
                pipe.zrange(self.named_key(profile_id), 0, -1)
            found: list[Any] = await pipe.execute()
        named_in = found[len(profile_ids) :]
        found = found[: len(profile_ids)]
        campaigns: dict[str, str] = {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for profile_id, members in zip(profile_ids, found, strict=True):
                for member in members:
                    nid, run, recipient = str(member).split("|", 2)
                    rc = self.keys.notification_run(nid, int(run), "rc")
                    _FORGET.queue(pipe, [rc], [recipient])
                    campaigns.setdefault(nid, profile_id)
            await pipe.execute()
        pending, due = await self._pending()
        # The campaigns that named them and skipped or deferred them: their audience
        # holds the identity, and a deferred state too, on the schedule or not.
        for profile_id, members in zip(profile_ids, named_in, strict=True):
            for member in members:
                nid, _, run = str(member).partition("|")
                campaigns.setdefault(nid, profile_id)
                if run.isdigit():
                    due.append((nid, int(run)))
        for nid in pending:
            campaigns.setdefault(nid, profile_ids[0])
        for nid, profile_id in campaigns.items():
            for part in ("aud", "frz"):
                await self._replace_entries(self._k(nid, part), named, f"p:{profile_id}")
        for nid, waiting in dict.fromkeys(due):  # a run waiting for quiet hours to end
            await self._replace_deferred(nid, waiting, named, f"p:{campaigns[nid]}")
        await self.redis.delete(
            *(self.profile_key(p) for p in profile_ids),
            *(self.named_key(p) for p in profile_ids),
        )
        return len(campaigns)

    async def _pending(self) -> tuple[list[str], list[tuple[str, int]]]:
        """The campaigns that may queue someone still (a profile's own list names only
        those queued to it): on the schedule (for later, sending, a cron schedule's next
        occurrence), set aside (a replay sends them), and the drafts. A draft sent or
        cancelled that a crash left among the drafts leaves them here. And the runs on
        the schedule, as (campaign, run)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(self.keys.notifications_due(), 0, -1)
            pipe.zrange(self.keys.notifications_dead(), 0, -1)
            pipe.smembers(self.keys.notification_drafts())
            due, dead, drafts = await pipe.execute()
        pending = dict.fromkeys(str(run).partition("|")[0] for run in [*due, *dead])
        drafts = sorted(str(nid) for nid in drafts)
        async with self.redis.pipeline(transaction=False) as pipe:
            for nid in drafts:
                pipe.hget(self._k(nid, "h"), "status")
            statuses: list[Any] = await pipe.execute()
        gone = [n for n, status in zip(drafts, statuses, strict=True) if status not in DRAFTED]
        if gone:
            await self.redis.srem(self.keys.notification_drafts(), *gone)
        runs = [str(run).partition("|") for run in due]
        return [*pending, *(nid for nid in drafts if nid not in gone)], [
            (nid, int(run)) for nid, _, run in runs if run.isdigit()
        ]

    async def _replace_deferred(
        self, nid: str, run: int, named: Callable[[str], bool], by: str
    ) -> None:
        """Each recipient of a run deferred by quiet hours whose entry ``named`` picks,
        kept as ``by`` for the run to decide about when they end."""
        rc = self.keys.notification_run(nid, run, "rc")
        keys = [
            str(key)
            for key in await self.redis.zrange(self.keys.notification_run(nid, run, "d"), 0, -1)
        ]
        states: Any = await self.redis.hmget(rc, keys) if keys else []
        for key, state in zip(keys, states, strict=True):
            kind, _, rest = str(state or "").partition("|")
            until, _, entry = rest.partition("|")
            if kind == "d" and named(entry):
                await _SWAP(self.redis, [rc], [key, str(state), f"d|{until}|{by}"])

    async def _replace_entries(self, key: str, named: Callable[[str], bool], by: str) -> None:
        """Each entry of the list at ``key`` that ``named`` picks, ``by`` in its place; in
        pages, in place (a run reading the list meanwhile finds each at its index)."""
        start = 0
        while entries := await self._page(key, start):
            at = [[start + n, entry] for n, entry in enumerate(entries) if named(entry)]
            if at:
                await _REPLACE(self.redis, [key], [by, *(part for pair in at for part in pair)])
            start += len(entries)

    async def _page(self, key: str, start: int) -> list[str]:
        found: Any = await self.redis.lrange(key, start, start + 10 * CHUNK - 1)
        return [str(entry) for entry in found]

    async def received(self, profile_ids: Sequence[str], limit: int) -> list[tuple[str, float]]:
        """The campaigns queued to these profiles (one, and those merged into it), as
        ``<id>|<run>|<recipient>``, the newest first."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for profile_id in profile_ids:
                pipe.zrevrange(self.profile_key(profile_id), 0, limit - 1, withscores=True)
            found: list[Any] = await pipe.execute()
        merged = [(str(m), float(s)) for each in found for m, s in each]
        return sorted(merged, key=lambda pair: -pair[1])[:limit]

    async def page(self, nid: str, outcome: str, start: int, count: int) -> list[tuple[str, float]]:
        """``count`` recipients of an outcome from ``start``, in the order they got there."""
        found: Any = await self.redis.zrange(
            self.outcome_key(nid, outcome), start, start + count - 1, withscores=True
        )
        return [(str(member), float(score)) for member, score in found]

    async def outcomes_of(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """For each (campaign, ``<run>|<recipient>``): the outcomes it reached, and when;
        one round trip."""
        if not pairs:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for nid, member in pairs:
                for outcome in OUTCOMES:
                    pipe.zscore(self.outcome_key(nid, outcome), member)
            found: list[Any] = await pipe.execute()
        per = len(OUTCOMES)
        return [
            {
                outcome: float(score)
                for outcome, score in zip(OUTCOMES, found[n : n + per], strict=True)
                if score is not None
            }
            for n in range(0, len(found), per)
        ]

    async def failure_codes(self, nid: str, sends: Sequence[tuple[int, str]]) -> list[str]:
        """The provider's error code of each (run, send id) that failed ('' when none)."""
        if not sends:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for run, send_id in sends:
                pipe.hget(self.keys.notification_run(nid, run, "st"), send_id)
            found: list[Any] = await pipe.execute()
        return [str(status or "").partition("|")[2] for status in found]

    async def failed_among(self, nid: str, who: Sequence[str]) -> list[bool]:
        """Whether each recipient's send failed."""
        if not who:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for member in who:
                pipe.zscore(self.outcome_key(nid, "failed"), member)
            found: list[Any] = await pipe.execute()
        return [score is not None for score in found]

    async def states(self, pairs: Sequence[tuple[str, str]]) -> list[str]:
        """For each (campaign, ``<run>|<recipient>``): the recipient's state in its run
        (``q|<conversation>|<identity>|<profile>`` or ``s|<reason>``); one round trip."""
        if not pairs:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for nid, member in pairs:
                run, _, recipient = member.partition("|")
                run_id = int(run) if run.isdigit() else 0
                pipe.hget(self.keys.notification_run(nid, run_id, "rc"), recipient)
            found: list[Any] = await pipe.execute()
        return [str(state or "") for state in found]

    async def members(self, nid: str, outcome: str) -> set[str]:
        """Every recipient of an outcome (an audience chosen by campaign response)."""
        found: set[str] = set()
        async for member, _ in self.redis.zscan_iter(self.outcome_key(nid, outcome), count=CHUNK):
            found.add(str(member))
        return found

    async def queued(self, nid: str, runs: Sequence[int]) -> dict[str, str]:
        """Every recipient queued in these runs, ``<run>|<recipient>`` -> its state."""
        found: dict[str, str] = {}
        for run in runs:
            key = self.keys.notification_run(nid, run, "rc")
            async for recipient, state in self.redis.hscan_iter(key, count=CHUNK):
                if str(state).startswith("q|"):
                    found[f"{run}|{recipient}"] = str(state)
        return found

    async def records(self, nids: Sequence[str]) -> list[dict[str, str]]:
        """Each campaign's record ({} when unknown), in one round trip."""
        if not nids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for nid in nids:
                pipe.hgetall(self._k(nid, "h"))
            found: list[Any] = await pipe.execute()
        return [dict(record) for record in found]
