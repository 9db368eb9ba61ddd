"""The cost ledger (AU-5): what each template send will cost once delivered, and running
totals per number, per notification and per category, in millionths of the currency.

Layout (under the prefix; one number's keys share the tag ``{cost:<number>}``):
- ``{cost:<n>}:pending``: send id -> ``category|country|price|notification|list``,
  written when the send is queued; ``list`` holds the country's rate per category
  (``utility=22000,marketing=52900``), for when Meta bills otherwise than predicted;
- ``{cost:<n>}:billed:<send id>``: string, 30 days: a send billed, so that a later
  receipt with Meta's pricing bills it no more; a send that was not noted (a reply, a
  text) whose receipt said Meta billed it is billed once by it;
- ``{cost:<n>}:said``: send id -> ``billable|category|type``, Meta's ``pricing`` object
  from a status, until the send is billed;
- ``{cost:<n>}:totals``: ``total``, ``cat:<category>``, ``count:<category>``,
  ``free:<category>``, ``cc:<country>``, ``ntf:<notification id>`` and ``disagreements``;
- ``{cost:<n>}:volume``: ``<YYYY-MM>:<country>:<category>`` -> the charged messages of a
  month (UTC), which volume tiers count (``list`` has ``utility@1001=19800``: from the
  1001st on);
- ``{cost:<n>}:disagreements``: list, JSON per send Meta billed otherwise than the rate
  card predicted (the newest ``KEPT_DISAGREEMENTS``).

A delivery receipt moves a send from pending to the totals once; a redo, a second
receipt (``read`` after ``delivered``) or a failure after delivery changes nothing.
When Meta's ``pricing`` object came with a status of the send, it is the truth: "If a
message is charged, you can expect that at least one webhook (delivered or read) will
contain the pricing information" (https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.model import Pricing
from stores.redis import Keys, Pipe, Script

BILLED_STATUSES = frozenset({"delivered", "read"})
Unnoted = tuple[str, Mapping[str, int]]
"""The recipient's country calling code and its rates per category (Meta's names)."""
KEPT_DISAGREEMENTS = 1000

_BILL = Script(
    """
local pending = redis.call('HGET', KEYS[1], ARGV[1])
local said
if pending then
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[3]) end
  if ARGV[2] == 'sent' then return 0 end
  said = redis.call('HGET', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  if ARGV[2] == 'failed' then
    -- kept a while with the send's campaign: Meta's receipts come out of order, and one
    -- may yet say the send was delivered, and billed
    redis.call('SET', KEYS[6], 'failed|' .. pending, 'EX', 2592000)
    return 0
  end
  -- billed now: a later receipt with Meta's pricing (a read after the delivered) is not
  -- a send the ledger did not note
  redis.call('SET', KEYS[6], '1', 'EX', 2592000)
else
  local marker = redis.call('GET', KEYS[6])
  if ARGV[7] == '' or (ARGV[2] ~= 'delivered' and ARGV[2] ~= 'read') then return 0 end
  if marker and string.sub(marker, 1, 7) == 'failed|' then
    -- a send failed, then Meta says it was delivered and billed after all: billed to its
    -- campaign, once (a receipt without Meta's pricing after a failure bills nothing)
    pending = string.sub(marker, 8)
    if ARGV[3] ~= '' then said = ARGV[3] end
    redis.call('SET', KEYS[6], '1', 'EX', 2592000)
  else
    -- a send the ledger did not note (a reply, a text) that Meta says it billed: once
    if not redis.call('SET', KEYS[6], '1', 'NX', 'EX', 2592000) then return 0 end
    pending, said = ARGV[7], ARGV[3]
  end
end
local category, country, price, notification, list =
  string.match(pending, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|?(.*)$')
price = tonumber(price) or 0
local category_asked = category
if said then
  local billable, meta_category, meta_type = string.match(said, '^([^|]*)|([^|]*)|(.*)$')
  local rates = {}
  for name, rate in string.gmatch(list or '', '([^,=]+)=(%d+)') do rates[name] = tonumber(rate) end
  local predicted = price
  if billable == '0' then
    price = 0
  elseif meta_category ~= '' and meta_category ~= category then
    -- billed as another category: at its rate (the country's, else the default), else
    -- free, never at the one predicted
    price = rates[meta_category] or 0
  elseif price == 0 then
    price = rates[category] or price
  end
  if meta_category ~= '' then category = meta_category end
  local recategorized = meta_category ~= '' and meta_category ~= category_asked
  if (billable == '0') ~= (predicted == 0) or (billable == '1' and recategorized) then
    redis.call('HINCRBY', KEYS[2], 'disagreements', 1)
    redis.call('LPUSH', KEYS[4], cjson.encode({
      send_id = ARGV[1], predicted = predicted, billed = price, billable = billable == '1',
      category = meta_category, type = meta_type, at = tonumber(ARGV[4])}))
    redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[5]) - 1)
  end
end
if price > 0 then
  local month = ARGV[6] .. ':' .. country .. ':' .. category
  local volume = redis.call('HINCRBY', KEYS[5], month, 1)
  local from = 0
  for name, start, rate in string.gmatch(list or '', '([^,=@]+)@(%d+)=(%d+)') do
    start = tonumber(start)
    if name == category and volume >= start and start > from then
      from, price = start, tonumber(rate)
    end
  end
end
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
        rates: Mapping[str, int] | None = None,
    ) -> None:
        """Note what ``send_id`` costs when delivered (0: free, but still counted), and the
        recipient country's ``rates`` per category, for when Meta bills it otherwise."""

    def queue_outcome(
        self,
        pipe: Pipe,
        number: str,
        send_id: str,
        status: str,
        pricing: Pricing | None = None,
        unnoted: Unnoted | None = None,
    ) -> None:
        """A delivery receipt: bill a delivered send once, as Meta's ``pricing`` says when
        a status brought it; forget a failed one. A send that was not noted is billed
        once when ``pricing`` says Meta billed it, at ``unnoted``'s rates."""

    async def disagreements(self, number: str, limit: int = 100) -> list[dict[str, Any]]:
        """The newest sends Meta billed otherwise than the rate card predicted."""

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
        rates: Mapping[str, int] | None = None,
    ) -> None:
        """Note what ``send_id`` costs when delivered (0: free, but still counted)."""
        listed = ",".join(f"{name}={rate}" for name, rate in sorted((rates or {}).items()))
        value = f"{category}|{country}|{price}|{notification}|{listed}"
        pipe.hsetnx(self._k(number, "pending"), send_id, value)

    def queue_outcome(
        self,
        pipe: Pipe,
        number: str,
        send_id: str,
        status: str,
        pricing: Pricing | None = None,
        unnoted: Unnoted | None = None,
    ) -> None:
        """A delivery receipt: bill a delivered send once, as Meta's ``pricing`` says when
        a status brought it; forget a failed one. A send that was not noted is billed
        once when ``pricing`` says Meta billed it, at ``unnoted``'s rates."""
        said = fallback = ""
        if pricing is not None:
            category = pricing.category.replace("|", "")
            said = f"{int(pricing.billable)}|{category}|{pricing.type}"
            if pricing.billable and unnoted is not None:
                country, rates = unnoted
                listed = ",".join(f"{name}={rate}" for name, rate in sorted(rates.items()))
                fallback = f"{category}|{country}|{rates.get(category, 0)}||{listed}"
        if status in BILLED_STATUSES or status == "failed" or said:
            keys = [
                self._k(number, part)
                for part in ("pending", "totals", "said", "disagreements", "volume")
            ] + [self._k(number, f"billed:{send_id}")]
            now = time.time()
            month = time.strftime("%Y-%m", time.gmtime(now))
            args = [send_id, status, said, int(now), KEPT_DISAGREEMENTS, month, fallback]
            _BILL.queue(pipe, keys, args)

    async def disagreements(self, number: str, limit: int = 100) -> list[dict[str, Any]]:
        """The newest sends Meta billed otherwise than the rate card predicted."""
        found: Any = await self.redis.lrange(self._k(number, "disagreements"), 0, limit - 1)
        return [json.loads(item) for item in found]

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
