"""The team's own records: the roles /role sets over the config's, the audit trail of
the team's commands (OPS-2), and the conversation each team chat post is about (OPS-3)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from stores.redis import Keys

AUDIT_KEPT = 10_000
"""Entries of the audit trail kept; older ones are dropped."""
POST_TTL = 90 * 24 * 3600
"""Seconds a post stays answerable by replying to it."""
RUN_TTL = 7 * 24 * 3600
"""Seconds a team message is known to have run: longer than any redo of its batch."""


class BaseTeamStore(Protocol):
    """Roles /role set by member, and the audit trail of the team's commands."""

    async def roles(self) -> dict[str, str]:
        """Every role /role set: member -> role."""

    async def roles_of(self, members: Sequence[str]) -> list[str | None]:
        """The role /role set for each of ``members``; None where it set none."""

    async def set_role(self, member: str, role: str) -> None:
        """Give ``member`` (an email, or ``tg:<id>``) ``role``, replacing any before."""

    async def forget_role(self, member: str) -> None:
        """Take away the role /role gave ``member``."""

    async def audit(self, entry: Mapping[str, Any]) -> None:
        """Keep one entry of the audit trail; only the newest are kept."""

    async def audit_trail(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last ``limit`` entries of the audit trail, the newest first."""

    async def first_use(self, digest: str, seconds: int) -> bool:
        """Whether the confirmation ``digest`` is used for the first time in ``seconds``;
        from now on it is used."""


class TeamStore(BaseTeamStore):
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

    async def forget_role(self, member: str) -> None:
        await self.redis.hdel(self.keys.team_roles(), member)

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

    async def first_use(self, digest: str, seconds: int) -> bool:
        key = self.keys.team_confirmed(digest)
        return bool(await self.redis.set(key, "1", nx=True, ex=seconds))


class BaseTeamPostStore(Protocol):
    """Which conversation each team chat post is about, for a while."""

    async def remember(self, post: str, conversation_id: str) -> None:
        """Note that the post with the provider id ``post`` is about ``conversation_id``."""

    async def conversation(self, post: str) -> str | None:
        """The conversation a post is about; None for any other message, or a lapsed post."""

    async def move(self, chat: str, to: str) -> None:
        """Note that the team chat ``chat`` is now the chat ``to`` (a group that became
        a supergroup), for good."""

    async def moved_to(self, chat: str) -> str | None:
        """Where the team chat ``chat`` moved; None if it has not."""


class TeamPostStore(BaseTeamPostStore):
    """Which conversation each post in the team chat is about, for ``POST_TTL``."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def remember(self, post: str, conversation_id: str) -> None:
        """Note that the post with the provider id ``post`` is about ``conversation_id``."""
        await self.redis.set(self.keys.team_post(post), conversation_id, ex=POST_TTL)

    async def conversation(self, post: str) -> str | None:
        """The conversation a post is about; None for any other message, or a lapsed post."""
        found = await self.redis.get(self.keys.team_post(post))
        return None if found is None else str(found)

    async def move(self, chat: str, to: str) -> None:
        """Note that the team chat ``chat`` is now the chat ``to`` (a group that became
        a supergroup), for good."""
        await self.redis.set(self.keys.team_chat_move(chat), to)

    async def moved_to(self, chat: str) -> str | None:
        """Where the team chat ``chat`` moved; None if it has not."""
        found = await self.redis.get(self.keys.team_chat_move(chat))
        return None if found is None else str(found)

    async def first_run(self, message: str) -> bool:
        """Whether the team message ``message`` is run for the first time (its batch may
        be redone after a crash); from now on it has run."""
        key = self.keys.team_run(message)
        return bool(await self.redis.set(key, "1", nx=True, ex=RUN_TTL))

    async def not_run(self, message: str) -> None:
        """Take back ``first_run``: the message's run failed, and its redo runs it."""
        await self.redis.delete(self.keys.team_run(message))
