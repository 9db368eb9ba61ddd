"""The team's own records: the roles /role sets over the config's, and the audit trail
of the team's commands (OPS-2)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from stores.redis import Keys

AUDIT_KEPT = 10_000
"""Entries of the audit trail kept; older ones are dropped."""


class TeamStore:
    """Roles by member (an email, or ``tg:<id>``), and the audit trail, newest first."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def roles(self) -> dict[str, str]:
        """Every role /role set: member -> role."""
        found: Any = await self.redis.hgetall(self.keys.team_roles())
        return dict(found)

    async def roles_of(self, members: Sequence[str]) -> list[str | None]:
        """The role /role set for each of ``members``; None where it set none."""
        found: Any = await self.redis.hmget(self.keys.team_roles(), list(members))
        return list(found)

    async def set_role(self, member: str, role: str) -> None:
        await self.redis.hset(self.keys.team_roles(), member, role)

    async def audit(self, entry: Mapping[str, Any]) -> None:
        """Keep one entry of the audit trail (the newest ``AUDIT_KEPT`` are kept)."""
        key = self.keys.team_audit()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.lpush(key, json.dumps(entry, ensure_ascii=False))
            pipe.ltrim(key, 0, AUDIT_KEPT - 1)
            await pipe.execute()

    async def audit_trail(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last ``limit`` entries of the audit trail, the newest first."""
        raw: Any = await self.redis.lrange(self.keys.team_audit(), 0, limit - 1)
        return [json.loads(item) for item in raw]
