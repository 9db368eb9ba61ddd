"""Redis Streams: the durable inbound log, the outbox of sends, the consumer groups on
them, and each shard's count of failed attempts and its dead letters."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, ResponseError

from stores.autopipe import AutoPipeline
from stores.redis import Keys, Pipe, Script

DEDUPE_TTL = 7 * 24 * 3600
"""Meta retries a webhook for up to 7 days; a provider id is remembered that long (CH-7)."""

GROUP = "workers"

log = logging.getLogger(__name__)

# The consumers of a group that hold no entry and were not seen for ARGV[3] ms, but for
# ARGV[2], the caller: names of processes that died or stopped, which a group keeps for
# good. One still alive is made again by its next read.
# KEYS: stream. ARGV: group, own consumer, idle ms. Answers how many it forgot.
_FORGET_IDLE = Script(
    """
local forgotten = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local fields = {}
  for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
  if fields.name ~= ARGV[2] and fields.pending == 0 and fields.idle >= tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], fields.name)
    forgotten = forgotten + 1
  end
end
return forgotten
"""
)


def queue_forget_idle(pipe: Pipe, key: str, consumer: str, idle_ms: int) -> None:
    """Forget the consumers of ``key``'s group, but ``consumer``, that hold no entry and
    were not seen for ``idle_ms``: each process names its own, and a name is kept by the
    group until deleted, so every restart would leave its names behind for good."""
    _FORGET_IDLE.queue(pipe, [key], [GROUP, consumer, idle_ms])


# Dedupe and append in one step: an entry is in the log exactly when its id is remembered.
_INGEST = Script(
    """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
end
return false
"""
)

# Count a failed attempt; at the limit, the entry leaves the stream for the dead letters,
# acknowledged, in the same step: it is never both pending and dead, nor neither.
_FAIL = Script(
    """
local attempts = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if attempts < tonumber(ARGV[5]) then return attempts end
redis.call('RPUSH', KEYS[3], cjson.encode(
  {id = ARGV[1], d = ARGV[2], error = ARGV[3], at = ARGV[4], attempts = attempts}))
redis.call('XACK', KEYS[1], ARGV[6], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return attempts
"""
)

# What one consumer read of a shard and did not acknowledge, back on the stream as new
# entries, in their order, with their counts of failed attempts: the next read of the
# shard's holder takes them. Moved, not copied: each is pending or new, never both.
_HAND_BACK = Script(
    """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', ARGV[3], ARGV[2])
local moved = 0
for _, item in ipairs(pending) do
  local id = item[1]
  local found = redis.call('XRANGE', KEYS[1], id, id)
  redis.call('XACK', KEYS[1], ARGV[1], id)
  redis.call('XDEL', KEYS[1], id)
  local attempts = redis.call('HGET', KEYS[2], id)
  if attempts then redis.call('HDEL', KEYS[2], id) end
  if #found > 0 then
    local again = redis.call('XADD', KEYS[1], '*', unpack(found[1][2]))
    if attempts then redis.call('HSET', KEYS[2], again, attempts) end
    moved = moved + 1
  end
end
return moved
"""
)

# Every dead letter of a shard back on its stream, as new entries, in the order they died.
_REPLAY = Script(
    """
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for _, item in ipairs(items) do
  redis.call('XADD', KEYS[1], '*', 'd', cjson.decode(item)['d'])
end
redis.call('DEL', KEYS[2])
return #items
"""
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a stream: its id and the JSON document it carries."""

    id: str
    data: str
    redone: bool = False
    """Whether an earlier attempt may have worked it: taken over from the pending list,
    or worked alone after its batch failed. A new entry's effects are all still to come."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An entry taken off its shard after failing every attempt, with the last error."""

    shard: int
    entry_id: str
    """Its id on the stream it left; a replay gives it a new one."""
    data: str
    error: str
    at: float
    """When it was set aside (Unix seconds)."""
    attempts: int


class BaseShardedStream(Protocol):
    """A stream in shards, read by one consumer group; entries stay until acknowledged."""

    async def ensure_groups(self) -> None:
        """Create the consumer group on every shard; harmless when it exists."""

    async def append(self, shard: int, data: str) -> str:
        """Append a document to ``shard``; its entry id."""

    def queue_append(self, pipe: Pipe, shard: int, data: str) -> None:
        """``append`` queued on a pipeline the caller executes."""

    async def read(self, shard: int, consumer: str, count: int, block_ms: int) -> list[Entry]:
        """Up to ``count`` new entries for ``consumer``, waiting up to ``block_ms``."""

    async def ack_and_read(
        self,
        shard: int,
        done: Sequence[str],
        consumer: str,
        count: int,
        block_ms: int,
        *,
        retried: bool = False,
    ) -> list[Entry]:
        """``ack`` of ``done``, then ``read``, in one round trip: the acknowledgement is
        made before the read waits."""

    async def claim_pending(self, shard: int, consumer: str, count: int = 500) -> list[Entry]:
        """Take over every entry a dead holder of this shard read but never acknowledged."""

    async def hand_back(self, shard: int, consumer: str, count: int = 10_000) -> int:
        """Put back what ``consumer`` read of ``shard`` and never acknowledged, as new
        entries, for whoever holds the shard now; how many."""

    async def ack(self, shard: int, ids: Sequence[str], *, retried: bool = False) -> None:
        """Acknowledge and drop processed entries; ``retried``: entries that may have
        failed before, whose count of failed attempts goes with them."""

    async def fail(self, shard: int, entry: Entry, error: str, at: float, limit: int) -> int:
        """Count a failed attempt at ``entry``; the attempts so far. At ``limit`` the
        entry is acknowledged and moved to the shard's dead letters with ``error`` and
        ``at``, in one step."""

    async def dead_letters(self) -> list[DeadLetter]:
        """Every shard's dead letters, by shard, the oldest first."""

    async def replay_dead_letters(self) -> int:
        """Put every dead letter back on its shard as a new entry; how many."""

    async def dead_letter_count(self) -> int:
        """How many dead letters the shards hold."""

    async def backlog(self) -> int:
        """Entries in every shard not acknowledged yet."""

    async def beyond(self, most: int) -> dict[int, int]:
        """Entries on the shards past this deployment's, up to ``most``, by shard: a run
        with more shards queued them, and no worker of this one reads them."""


class ShardedStream(BaseShardedStream):
    """A stream split in shards by conversation, read through one consumer group."""

    def __init__(self, redis: Redis, keys: Keys, shards: int, kind: str) -> None:
        self.redis = redis
        self.keys = keys
        self.shards = shards
        self.kind = kind
        """``inbound`` or ``outbox``."""
        self._key = keys.inbound if kind == "inbound" else keys.outbox
        self.emptied: Callable[[], None] | None = None
        """Told when a shard's group had to be made again: Redis came back empty."""

    def key(self, shard: int, part: str = "") -> str:
        return self._key(shard, part)

    async def beyond(self, most: int) -> dict[int, int]:
        extra = range(self.shards, most)
        if not extra:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in extra:
                pipe.xlen(self.key(shard))
            counts = await pipe.execute()
        return {shard: int(count) for shard, count in zip(extra, counts, strict=True) if count}

    async def ensure_groups(self) -> None:
        for shard in range(self.shards):
            try:
                await self.redis.xgroup_create(self.key(shard), GROUP, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    async def append(self, shard: int, data: str) -> str:
        entry_id = await self.redis.xadd(self.key(shard), {"d": data})
        return str(entry_id)

    def queue_append(self, pipe: Pipe, shard: int, data: str) -> None:
        """``append`` queued on a pipeline the caller executes."""
        pipe.xadd(self.key(shard), {"d": data})

    async def read(self, shard: int, consumer: str, count: int, block_ms: int) -> list[Entry]:
        try:
            reply: Any = await self.redis.xreadgroup(
                GROUP, consumer, {self.key(shard): ">"}, count=count, block=block_ms
            )
        except ResponseError as error:
            if not await self._group_made_again(shard, error):
                raise
            reply = None  # the entries appended since are read by the next read
        return _entries(reply[0][1]) if reply else []

    async def _group_made_again(self, shard: int, error: ResponseError) -> bool:
        """Make the shard's consumer group again when ``error`` says it is gone: a Redis
        that came back empty (no persistence) holds the appends made since, and no group
        to read them. Whether it was made."""
        if not str(error).startswith("NOGROUP"):
            return False
        try:
            await self.redis.xgroup_create(self.key(shard), GROUP, id="0", mkstream=True)
        except ResponseError as again:
            if "BUSYGROUP" not in str(again):
                raise
        log.warning(
            "%s shard %d had no consumer group (Redis came back empty?); made again",
            self.kind,
            shard,
        )
        if self.emptied is not None:
            self.emptied()
        return True

    async def ack_and_read(
        self,
        shard: int,
        done: Sequence[str],
        consumer: str,
        count: int,
        block_ms: int,
        *,
        retried: bool = False,
    ) -> list[Entry]:
        if not done:
            return await self.read(shard, consumer, count, block_ms)
        key = self.key(shard)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                self._queue_ack(pipe, shard, done, retried)
                pipe.xreadgroup(GROUP, consumer, {key: ">"}, count=count, block=block_ms)
                *_, reply = await pipe.execute()
        except ResponseError as error:
            if not await self._group_made_again(shard, error):
                raise
            reply = None
        return _entries(reply[0][1]) if reply else []

    async def claim_pending(self, shard: int, consumer: str, count: int = 500) -> list[Entry]:
        """Take over every entry a dead holder of this shard read but never acknowledged."""
        claimed: list[Entry] = []
        cursor = "0-0"
        while True:
            try:
                reply: Any = await self.redis.xautoclaim(
                    self.key(shard), GROUP, consumer, min_idle_time=0, start_id=cursor, count=count
                )
            except ResponseError as error:
                if not await self._group_made_again(shard, error):
                    raise
                return claimed  # a new group has nothing pending
            cursor, messages = reply[0], reply[1]
            claimed.extend(_entries(messages, redone=True))
            # A page of entries deleted while pending comes back empty; go on to the end.
            if cursor == "0-0":
                break
        claimed.sort(key=lambda entry: _order(entry.id))
        # Every earlier holder's entries are this one's now: their names hold nothing.
        async with self.redis.pipeline(transaction=False) as pipe:
            queue_forget_idle(pipe, self.key(shard), consumer, 0)
            await pipe.execute(raise_on_error=False)
        return claimed

    async def hand_back(self, shard: int, consumer: str, count: int = 10_000) -> int:
        keys = [self.key(shard), self.key(shard, "attempts")]
        return int(await _HAND_BACK(self.redis, keys, [GROUP, consumer, count]))

    async def ack(self, shard: int, ids: Sequence[str], *, retried: bool = False) -> None:
        """Acknowledge and drop processed entries, so the log holds only unfinished work.

        Entries read for the first time never failed: their acknowledgement costs no
        third command."""
        if not ids:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            self._queue_ack(pipe, shard, ids, retried)
            await pipe.execute()

    def _queue_ack(self, pipe: Pipe, shard: int, ids: Sequence[str], retried: bool) -> None:
        key = self.key(shard)
        pipe.xack(key, GROUP, *ids)
        pipe.xdel(key, *ids)
        if retried:
            pipe.hdel(self.key(shard, "attempts"), *ids)

    async def fail(self, shard: int, entry: Entry, error: str, at: float, limit: int) -> int:
        keys = [self.key(shard), self.key(shard, "attempts"), self.key(shard, "dead")]
        args = [entry.id, entry.data, error, repr(at), limit, GROUP]
        return int(await _FAIL(self.redis, keys, args))

    async def dead_letters(self) -> list[DeadLetter]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(self.shards):
                pipe.lrange(self.key(shard, "dead"), 0, -1)
            found = await pipe.execute()
        letters = []
        for shard, items in enumerate(found):
            for item in items:
                letter = json.loads(item)
                letters.append(
                    DeadLetter(
                        shard,
                        str(letter["id"]),
                        str(letter["d"]),
                        str(letter["error"]),
                        float(letter["at"]),
                        int(letter["attempts"]),
                    )
                )
        return letters

    async def replay_dead_letters(self) -> int:
        replayed = 0
        for shard in range(self.shards):  # one script per shard: each on its own tag
            keys = [self.key(shard), self.key(shard, "dead")]
            replayed += int(await _REPLAY(self.redis, keys, []))
        return replayed

    async def dead_letter_count(self) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(self.shards):
                pipe.llen(self.key(shard, "dead"))
            lengths = await pipe.execute()
        return int(sum(lengths))

    async def backlog(self) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(self.shards):
                pipe.xlen(self.key(shard))
            lengths = await pipe.execute()
        return int(sum(lengths))


class BaseInboundLog(BaseShardedStream, Protocol):
    """The inbound log: messages appended once each, by their dedupe key."""

    async def append_new(self, items: Sequence[tuple[int, str, str]]) -> list[bool]:
        """Append each ``(shard, dedupe key, document)`` unless its key was seen; which were new."""


class InboundLog(ShardedStream, BaseInboundLog):
    """The inbound log: a webhook is acknowledged only once its entry is here (REL-1)."""

    def __init__(self, redis: Redis, keys: Keys, shards: int) -> None:
        super().__init__(redis, keys, shards, "inbound")
        # In the order the webhooks came, whatever Redis does meanwhile: one customer's
        # messages a moment apart are a conversation's order (a stall in between, with
        # a round trip out for each, reversed them).
        self._together = AutoPipeline(redis, ordered=True)

    async def append_new(self, items: Sequence[tuple[int, str, str]]) -> list[bool]:
        """Append each ``(shard, dedupe key, document)`` unless its key was seen; one round trip.

        Returns, per item, whether it was new.
        """
        if not items:
            return []
        calls = [
            ([self.key(shard), self.keys.dedupe(shard, dedupe)], [data, DEDUPE_TTL])
            for shard, dedupe, data in items
        ]
        # Concurrent webhooks' appends share a round trip: one pipeline per turn of the loop.
        try:
            results = await self._together.run(
                [functools.partial(_INGEST.queue_loaded, keys=k, args=a) for k, a in calls]
            )
        except NoScriptError:  # first use, or the server restarted: none of them ran
            # One at a time, each loading the script when the server does not have it.
            results = [await _INGEST(self.redis, keys, args) for keys, args in calls]
        return [result is not None for result in results]


def _entries(
    messages: Sequence[tuple[str, dict[str, str] | None]], *, redone: bool = False
) -> list[Entry]:
    # XAUTOCLAIM reports entries deleted since they were read with no fields; they are done.
    # An entry without its document is still taken, to fail and be set aside like any
    # other that cannot be worked, rather than stop the reading of its shard.
    return [Entry(entry_id, fields.get("d", ""), redone) for entry_id, fields in messages if fields]


def entry_time(entry_id: str) -> float:
    """When a stream entry was added, by its id (``<ms>-<seq>``): unix seconds, a later
    entry of the same millisecond a microsecond on; 0 for an id that is none, or one set
    by hand before this century's first years (``1-0``)."""
    millis, _, seq = entry_id.partition("-")
    if not millis.isdigit() or not (seq or "0").isdigit() or int(millis) < 10**12:
        return 0.0
    return int(millis) / 1000 + min(int(seq or 0), 999) / 1_000_000


def _order(entry_id: str) -> tuple[int, int]:
    millis, _, seq = entry_id.partition("-")
    return int(millis), int(seq or 0)
