"""Per-service delivery queues: a stream of events, a retry schedule and a dead-letter list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from stores.redis import Keys, Pipe, Script
from stores.streams import GROUP

# On the stream a delivery is four fields, so the event is never escaped inside another
# JSON document on the hot path; in the retry set and the dead letters, where one string
# is needed, it is a small JSON object with the same keys.

# Due retries go back on the service's stream; all three keys share the service's tag.
_MOVE_DUE = Script(
    """
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, item in ipairs(due) do
  redis.call('ZREM', KEYS[2], item)
  local d = cjson.decode(item)
  redis.call('XADD', KEYS[1], '*', 'e', d['e'], 'i', d['i'] or '', 'a', d['a'], 't', d['t'])
end
return #due
"""
)

_REPLAY = Script(
    """
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for _, item in ipairs(items) do
  local d = cjson.decode(item)
  redis.call('XADD', KEYS[1], '*', 'e', d['e'], 'i', d['i'] or '', 'a', 0, 't', ARGV[1])
end
redis.call('DEL', KEYS[2])
return #items
"""
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event on its way to one service: the attempts so far and when the first was due."""

    entry_id: str
    event: str
    attempts: int
    first_at: float
    event_id: str = ""
    """Kept beside the event, so that a delivery need not parse the event to name it."""

    def encode(self, attempts: int | None = None) -> str:
        return json.dumps(
            {
                "e": self.event,
                "a": self.attempts if attempts is None else attempts,
                "t": self.first_at,
                "i": self.event_id,
            }
        )

    @classmethod
    def decode(cls, entry_id: str, raw: str) -> Delivery:
        data = json.loads(raw)
        return cls(entry_id, data["e"], int(data["a"]), float(data["t"]), data.get("i", ""))

    @classmethod
    def from_fields(cls, entry_id: str, fields: dict[str, str]) -> Delivery:
        return cls(entry_id, fields["e"], int(fields["a"]), float(fields["t"]), fields["i"])


class BaseDeliveryQueue(Protocol):
    """A queue per service, with a retry schedule and dead letters."""

    def queue(
        self, pipe: Pipe, service: str, event_json: str, at: float, event_id: str = ""
    ) -> None:
        """Queue the event for ``service`` on a pipeline the caller executes."""

    async def add(self, deliveries: Sequence[tuple[str, str, str]], at: float) -> None:
        """Queue each (service, event JSON, event id), in one round trip."""

    async def ensure_group(self, service: str) -> None:
        """Create the service's consumer group; harmless when it exists."""

    async def read(self, service: str, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        """Up to ``count`` new deliveries for ``consumer``, waiting up to ``block_ms``."""

    async def reclaim(
        self, service: str, consumer: str, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        """Deliveries a crashed process took and never finished, idle for ``min_idle_ms``."""

    async def done(self, service: str, entry_ids: list[str]) -> None:
        """Drop delivered entries from the queue."""

    async def retry_at(self, service: str, delivery: Delivery, at: float) -> None:
        """Take the delivery off the queue and schedule it again for ``at``."""

    async def move_due(self, service: str, now: float, limit: int = 500) -> int:
        """Put retries that are due back on the queue; how many."""

    async def dead_letter(self, service: str, delivery: Delivery) -> None:
        """Take the delivery off the queue for good, into the dead letters."""

    async def dead_letters(self, service: str) -> list[Delivery]:
        """Every dead letter of ``service``, oldest first."""

    async def replay_dead_letters(self, service: str, now: float) -> int:
        """Put every dead letter of ``service`` back in its queue, with fresh attempts."""

    async def pending(self, service: str) -> int:
        """Deliveries queued or waiting for a retry."""


class DeliveryQueue(BaseDeliveryQueue):
    """Each service has its own queue, so a slow or dead one never holds back the others."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def queue(
        self, pipe: Pipe, service: str, event_json: str, at: float, event_id: str = ""
    ) -> None:
        """Queue the event for ``service`` on a pipeline the caller executes."""
        fields: dict[Any, Any] = {"e": event_json, "i": event_id, "a": 0, "t": at}
        pipe.xadd(self.keys.fanout(service), fields)

    async def add(self, deliveries: Sequence[tuple[str, str, str]], at: float) -> None:
        """Queue each (service, event JSON, event id), in one round trip."""
        if not deliveries:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for service, event_json, event_id in deliveries:
                self.queue(pipe, service, event_json, at, event_id)
            await pipe.execute()

    async def ensure_group(self, service: str) -> None:
        try:
            await self.redis.xgroup_create(self.keys.fanout(service), GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def read(self, service: str, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        reply: Any = await self.redis.xreadgroup(
            GROUP, consumer, {self.keys.fanout(service): ">"}, count=count, block=block_ms
        )
        if not reply:
            return []
        return [Delivery.from_fields(entry_id, fields) for entry_id, fields in reply[0][1]]

    async def reclaim(
        self, service: str, consumer: str, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        """Deliveries a crashed process took and never finished, idle for ``min_idle_ms``."""
        reply: Any = await self.redis.xautoclaim(
            self.keys.fanout(service),
            GROUP,
            consumer,
            min_idle_time=min_idle_ms,
            start_id="0-0",
            count=count,
        )
        return [Delivery.from_fields(entry_id, fields) for entry_id, fields in reply[1] if fields]

    async def done(self, service: str, entry_ids: list[str]) -> None:
        if not entry_ids:
            return
        key = self.keys.fanout(service)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xack(key, GROUP, *entry_ids)
            pipe.xdel(key, *entry_ids)
            await pipe.execute()

    async def retry_at(self, service: str, delivery: Delivery, at: float) -> None:
        key = self.keys.fanout(service)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(
                self.keys.fanout(service, "retry"), {delivery.encode(delivery.attempts + 1): at}
            )
            pipe.xack(key, GROUP, delivery.entry_id)
            pipe.xdel(key, delivery.entry_id)
            await pipe.execute()

    async def move_due(self, service: str, now: float, limit: int = 500) -> int:
        keys = [self.keys.fanout(service), self.keys.fanout(service, "retry")]
        return int(await _MOVE_DUE(self.redis, keys, [now, limit]))

    async def dead_letter(self, service: str, delivery: Delivery) -> None:
        key = self.keys.fanout(service)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self.keys.fanout(service, "dead"), delivery.encode())
            pipe.xack(key, GROUP, delivery.entry_id)
            pipe.xdel(key, delivery.entry_id)
            await pipe.execute()

    async def dead_letters(self, service: str) -> list[Delivery]:
        raw: Any = await self.redis.lrange(self.keys.fanout(service, "dead"), 0, -1)
        return [Delivery.decode("", item) for item in raw]

    async def replay_dead_letters(self, service: str, now: float) -> int:
        """Put every dead letter of ``service`` back in its queue, with fresh attempts."""
        keys = [self.keys.fanout(service), self.keys.fanout(service, "dead")]
        return int(await _REPLAY(self.redis, keys, [now]))

    async def pending(self, service: str) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.keys.fanout(service))
            pipe.zcard(self.keys.fanout(service, "retry"))
            length, retries = await pipe.execute()
        return int(length) + int(retries)
