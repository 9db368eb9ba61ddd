"""The cost ledger (AU-5): what each template send will cost once delivered, and running
totals per number, per notification and per category, in millionths of the currency.

Layout (under the prefix; one number's keys share the tag ``{cost:<number>}``):
- ``{cost:<n>}:pending``: send id -> ``category|country|price|notification``, written
  when the send is queued;
- ``{cost:<n>}:totals``: ``total``, ``cat:<category>``, ``count:<category>``,
  ``free:<category>``, ``cc:<country>`` and ``ntf:<notification id>``.

A delivery receipt moves a send from pending to the totals once; a redo, a second
receipt (``read`` after ``delivered``) or a failure after delivery changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from stores.redis import Keys, Pipe, Script

BILLED_STATUSES = frozenset({"delivered", "read"})

_BILL = Script(
    """
local pending = redis.call('HGET', KEYS[1], ARGV[1])
if not pending then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[2] == 'failed' then return 0 end
local category, country, price, notification =
  string.match(pending, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
price = tonumber(price) or 0
redis.call('HINCRBY', KEYS[2], 'total', price)
redis.call('HINCRBY', KEYS[2], 'cat:' .. category, price)
redis.call('HINCRBY', KEYS[2], 'count:' .. category, 1)
if price == 0 then redis.call('HINCRBY', KEYS[2], 'free:' .. category, 1) end
if country ~= '' then redis.call('HINCRBY', KEYS[2], 'cc:' .. country, price) end
if notification ~= '' then redis.call('HINCRBY', KEYS[2], 'ntf:' .. notification, price) end
return 1
"""
)


class BaseCostLedger(Protocol):
    """Prices noted when sends are queued, billed on delivery, totalled per number."""

    def queue_price(
        self,
        pipe: Pipe,
        number: str,
        send_id: str,
        *,
        category: str,
        country: str,
        price: int,
        notification: str = "",
    ) -> None:
        """Note what ``send_id`` costs when delivered (0: free, but still counted)."""

    def queue_outcome(self, pipe: Pipe, number: str, send_id: str, status: str) -> None:
        """A delivery receipt: bill a delivered send once; forget a failed one."""

    async def totals(self, number: str) -> dict[str, int]:
        """The raw totals of a number (millionths, and counts)."""

    async def totals_of(self, numbers: Sequence[str]) -> list[dict[str, int]]:
        """``totals`` of each number, in one round trip."""

    async def notification_cost(self, number: str, notification: str) -> int:
        """What a notification's delivered sends cost, in millionths."""

    async def pending(self, number: str) -> int:
        """Sends noted but neither delivered nor failed yet."""


class CostLedger(BaseCostLedger):
    """Prices noted at queueing, billed on delivery; totals read per number."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _k(self, number: str, part: str) -> str:
        return self.keys.costs(number, part)

    def queue_price(
        self,
        pipe: Pipe,
        number: str,
        send_id: str,
        *,
        category: str,
        country: str,
        price: int,
        notification: str = "",
    ) -> None:
        """Note what ``send_id`` costs when delivered (0: free, but still counted)."""
        value = f"{category}|{country}|{price}|{notification}"
        pipe.hsetnx(self._k(number, "pending"), send_id, value)

    def queue_outcome(self, pipe: Pipe, number: str, send_id: str, status: str) -> None:
        """A delivery receipt: bill a delivered send once; forget a failed one."""
        if status in BILLED_STATUSES or status == "failed":
            keys = [self._k(number, "pending"), self._k(number, "totals")]
            _BILL.queue(pipe, keys, [send_id, status])

    async def totals(self, number: str) -> dict[str, int]:
        """The raw totals of a number (millionths, and counts)."""
        found: Any = await self.redis.hgetall(self._k(number, "totals"))
        return {field: int(value) for field, value in found.items()}

    async def totals_of(self, numbers: Sequence[str]) -> list[dict[str, int]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.hgetall(self._k(number, "totals"))
            found = await pipe.execute()
        return [{field: int(value) for field, value in item.items()} for item in found]

    async def notification_cost(self, number: str, notification: str) -> int:
        value = await self.redis.hget(self._k(number, "totals"), f"ntf:{notification}")
        return int(value or 0)

    async def pending(self, number: str) -> int:
        """Sends noted but neither delivered nor failed yet."""
        return int(await self.redis.hlen(self._k(number, "pending")))
