"""Web activity (PS-4) and link clicks (PS-3), kept per visitor id and read per profile.

Layout (every key under the prefix; the keys of one visitor share the tag ``{v:<vid>}``):
- ``{v:<vid>}:events``: the visitor's last ``MAX_EVENTS`` web events, oldest first (JSON);
- ``{v:<vid>}:clicks``: the visitor's last ``MAX_CLICKS`` clicks on tracked links;
- ``{v:<vid>}:seen``: ``first_seen``, ``last_seen`` and the current ``session``;
- ``{p:<id>}:clicks``: the clicks on links sent to a profile.

Nothing is copied when a visitor is identified: a profile's history is read through its
``vid:`` identities, so anonymous history shows up on the profile the moment they link.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from stores import budgets
from stores.redis import Keys, Script

MAX_EVENTS = 1000
MAX_CLICKS = 1000
SESSION_IDLE = 30 * 60.0
"""Seconds of silence after which a visitor's next event starts a new session."""
KEPT = 365 * 24 * 3600
"""Seconds a browser's web activity and clicks are kept after its last: anyone may post
events, and a browser that never comes back must not be kept for ever."""
MAX_VISITOR = 128

_EVENT_FIELDS = ("url", "title", "referrer")

# Appends events, stamps each with its session and keeps first/last seen, in one step so
# that two tabs of one visitor posting at once agree on the session.
# KEYS: events, seen. ARGV: latest at, new session, idle seconds, cap, earliest at, then
# per event a JSON string literal of the caller's session (or "") and the event's object.
RECORD = Script(
    """
local at = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[2], 'last_seen') or '0')
local session = redis.call('HGET', KEYS[2], 'session')
if not session or at - last > tonumber(ARGV[3]) then
  session = ARGV[2]
  redis.call('HSET', KEYS[2], 'session', session)
end
redis.call('HSETNX', KEYS[2], 'first_seen', ARGV[5])
if at > last then redis.call('HSET', KEYS[2], 'last_seen', ARGV[1]) end
for i = 7, #ARGV, 2 do
  local literal = ARGV[i]
  if literal == '' then literal = '"' .. session .. '"' end
  redis.call('RPUSH', KEYS[1], '{"session":' .. literal .. ',' .. string.sub(ARGV[i + 1], 2))
end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[4]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return session
"""
)

# Appends to a capped list and keeps first/last seen; both kept ARGV[3] seconds from now.
# KEYS: list, seen. ARGV: at, cap, seconds kept, items.
PUSH_SEEN = Script(
    """
local last = tonumber(redis.call('HGET', KEYS[2], 'last_seen') or '0')
redis.call('HSETNX', KEYS[2], 'first_seen', ARGV[1])
if tonumber(ARGV[1]) > last then redis.call('HSET', KEYS[2], 'last_seen', ARGV[1]) end
for i = 4, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _loads_all(items: Iterable[str | bytes]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        try:
            value = json.loads(item)
        except ValueError:
            continue  # one damaged entry must not hide a visitor's whole history
        if isinstance(value, dict):
            found.append(value)
    return found


def _check_visitor(vid: str) -> str:
    if not isinstance(vid, str) or not 0 < len(vid) <= MAX_VISITOR:
        raise ValueError(f"a visitor id is 1 to {MAX_VISITOR} characters")
    return vid


class BaseActivityStore(Protocol):
    """Web events and clicks of visitors, and the clicks on links sent to each profile."""

    async def record(self, vid: str, event: Mapping[str, Any]) -> str:
        """Append one web event; answers the session it was recorded in."""

    async def record_many(self, vid: str, events: Sequence[Mapping[str, Any]]) -> str:
        """Append events in order, in one round trip; answers their session."""

    async def events(self, vid: str, limit: int = 100) -> list[dict[str, Any]]:
        """The visitor's latest ``limit`` events, oldest first."""

    async def for_profile(self, vids: Sequence[str], limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` events of several visitors, merged by time, oldest first."""

    async def visitor(self, vid: str) -> dict[str, Any]:
        """``first_seen``, ``last_seen`` and ``session`` of a visitor; {} when never seen."""

    async def record_click(
        self, vid: str, profile: str, message: str, target: str, at: float | None = None
    ) -> None:
        """Keep a click on a tracked link on the visitor and on the profile it was sent to."""

    async def clicks(self, profile_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` clicks on links sent to the profile, oldest first."""

    async def clicks_of(self, profile_ids: Sequence[str], limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` clicks of several profiles, merged by time, oldest first."""

    async def visitor_clicks(self, vid: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` clicks made from this visitor id, oldest first."""

    async def erase(self, vids: Sequence[str], profile_id: str) -> int:
        """Delete these visitors' events, clicks and dates, and the profile's clicks."""

    async def spend(self, size: int, most: int, window: float) -> float:
        """Count ``size`` bytes of events against the ``most`` all visitors together may
        keep in a fixed ``window`` of seconds: 0 when they fit, else the seconds until the
        next window."""


class ActivityStore(BaseActivityStore):
    """Web events and clicks of visitors, and the clicks of each profile."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def visitor_key(self, vid: str, part: str) -> str:
        return self.keys.visitor(_check_visitor(vid), part)

    def profile_clicks_key(self, profile_id: str) -> str:
        return self.keys.profile(profile_id, "clicks")

    async def record(self, vid: str, event: Mapping[str, Any]) -> str:
        """Append one web event; answers the session it was recorded in."""
        return await self.record_many(vid, [event])

    async def record_many(self, vid: str, events: Sequence[Mapping[str, Any]]) -> str:
        """Append events in order, in one round trip; answers their session.

        An event is ``{"type", "url"?, "title"?, "referrer"?, "properties"?, "at"?,
        "session"?}``; without ``at`` it happened now, without ``session`` it joins the
        visitor's current session (a new one after ``SESSION_IDLE`` of silence).
        """
        if not events:
            raise ValueError("record_many needs at least one event")
        now = time.time()
        args: list[Any] = []
        times = [float(event.get("at") or now) for event in events]
        for event, at in zip(events, times, strict=True):
            item: dict[str, Any] = {"type": str(event.get("type") or "page_view"), "at": at}
            for name in _EVENT_FIELDS:
                if event.get(name):
                    item[name] = str(event[name])
            if event.get("properties"):
                item["properties"] = dict(event["properties"])
            session = event.get("session")
            args += [_dumps(str(session)) if session else "", _dumps(item)]
        fresh = f"s_{secrets.token_urlsafe(9)}"
        keys = [self.visitor_key(vid, "events"), self.visitor_key(vid, "seen")]
        head = [repr(max(times)), fresh, SESSION_IDLE, MAX_EVENTS, repr(min(times)), KEPT]
        session = await RECORD(self.redis, keys, [*head, *args])
        return str(session)

    async def events(self, vid: str, limit: int = 100) -> list[dict[str, Any]]:
        """The visitor's latest ``limit`` events, oldest first."""
        if limit <= 0:
            return []
        items = await self.redis.lrange(self.visitor_key(vid, "events"), -limit, -1)
        return _loads_all(items)

    async def for_profile(self, vids: Sequence[str], limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` events of several visitors (one person's devices), merged
        by time, oldest first; each names its ``visitor``."""
        vids = list(dict.fromkeys(vids))
        if not vids or limit <= 0:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for vid in vids:
                pipe.lrange(self.visitor_key(vid, "events"), -limit, -1)
            lists = await pipe.execute()
        merged = []
        for vid, items in zip(vids, lists, strict=True):
            merged += [{**event, "visitor": vid} for event in _loads_all(items)]
        merged.sort(key=lambda event: float(event.get("at") or 0))  # stable: ties keep order
        return merged[-limit:]

    async def visitor(self, vid: str) -> dict[str, Any]:
        """``first_seen``, ``last_seen`` and ``session`` of a visitor; {} when never seen."""
        data: Any = await self.redis.hgetall(self.visitor_key(vid, "seen"))
        if not data:
            return {}
        return {
            "first_seen": float(data.get("first_seen") or 0),
            "last_seen": float(data.get("last_seen") or 0),
            "session": data.get("session", ""),
        }

    async def record_click(
        self, vid: str, profile: str, message: str, target: str, at: float | None = None
    ) -> None:
        """Keep a click on a tracked link on the visitor and on the profile it was sent to."""
        at = at or time.time()
        click = _dumps(
            {"at": at, "profile": profile, "message": message, "target": target, "visitor": vid}
        )
        visitor_keys = [self.visitor_key(vid, "clicks"), self.visitor_key(vid, "seen")]
        profile_key = self.profile_clicks_key(profile)
        # Two hash tags, so two commands of one slot each, sent in one round trip.
        async with self.redis.pipeline(transaction=False) as pipe:
            PUSH_SEEN.queue(pipe, visitor_keys, [repr(at), MAX_CLICKS, KEPT, click])
            pipe.rpush(profile_key, click)
            pipe.ltrim(profile_key, -MAX_CLICKS, -1)
            await pipe.execute()

    async def clicks(self, profile_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` clicks on links sent to the profile, oldest first."""
        if limit <= 0:
            return []
        return _loads_all(await self.redis.lrange(self.profile_clicks_key(profile_id), -limit, -1))

    async def clicks_of(self, profile_ids: Sequence[str], limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` clicks of several profiles (one person and the profiles
        merged into it), merged by time, oldest first."""
        profile_ids = list(dict.fromkeys(profile_ids))
        if not profile_ids or limit <= 0:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for profile_id in profile_ids:
                pipe.lrange(self.profile_clicks_key(profile_id), -limit, -1)
            lists = await pipe.execute()
        merged = [click for items in lists for click in _loads_all(items)]
        merged.sort(key=lambda click: float(click.get("at") or 0))
        return merged[-limit:]

    async def visitor_clicks(self, vid: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest ``limit`` clicks made from this visitor id, oldest first."""
        if limit <= 0:
            return []
        return _loads_all(await self.redis.lrange(self.visitor_key(vid, "clicks"), -limit, -1))

    async def spend(self, size: int, most: int, window: float) -> float:
        return await budgets.spend(self.redis, self.keys.activity_budget, size, most, window)

    async def erase(self, vids: Sequence[str], profile_id: str) -> int:
        """Delete these visitors' events, clicks and dates, and the profile's clicks (PS-7).

        Answers how many keys were deleted.
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            for vid in dict.fromkeys(vids):
                # One DEL per visitor: its keys share a tag, so one slot on a cluster.
                pipe.delete(*(self.visitor_key(vid, part) for part in ("events", "clicks", "seen")))
            if profile_id:
                pipe.delete(self.profile_clicks_key(profile_id))
            counts = await pipe.execute()
        return sum(int(count) for count in counts)
