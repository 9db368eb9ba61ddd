"""Conversation notes: the team's annotations on a conversation, never sent to the customer.

Not the profile's daily notes (PS-6), which collect the messages themselves. A note list
lives under the conversation's hash tag, ``{c:<id>}:notes``, and keeps the newest
``cap`` notes.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.model import new_id
from stores.redis import Keys

MAX_NOTE = 4096
"""Characters in one note, as in one reply."""
NOTES_KEPT = 1000
"""Notes kept per conversation; older ones are dropped."""


class BaseNoteStore(Protocol):
    """The team's notes on each conversation, oldest first, the newest ones kept."""

    async def append(
        self, conversation_id: str, *, author: str, service: str, text: str, at: float = 0
    ) -> dict[str, Any]:
        """Keep a note and answer it as stored; ValueError for an empty or overlong text."""

    async def read(self, conversation_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` notes, the newest last."""

    async def erase(self, conversation_id: str) -> int:
        """Drop every note of a conversation; how many there were."""


class NoteStore(BaseNoteStore):
    """Append and read a conversation's notes, oldest first."""

    def __init__(self, redis: Redis, keys: Keys, cap: int = NOTES_KEPT) -> None:
        self.redis = redis
        self.keys = keys
        self.cap = cap

    def _key(self, conversation_id: str) -> str:
        return self.keys.conversation(conversation_id, "notes")

    async def append(
        self, conversation_id: str, *, author: str, service: str, text: str, at: float = 0
    ) -> dict[str, Any]:
        """Keep a note (text trimmed, 1 to 4096 characters) and answer it as stored.

        Raises ValueError for an empty or overlong text."""
        text = text.strip()
        if not text:
            raise ValueError("a note needs some text")
        if len(text) > MAX_NOTE:
            raise ValueError(f"a note is at most {MAX_NOTE} characters (this one has {len(text)})")
        note = {
            "id": new_id("note"),
            "author": author,
            "service": service,
            "text": text,
            "at": at or time.time(),
        }
        key = self._key(conversation_id)
        # One key, so MULTI stays on one slot; the trim keeps the list bounded.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(note, ensure_ascii=False))
            pipe.ltrim(key, -self.cap, -1)
            await pipe.execute()
        return note

    async def read(self, conversation_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` notes, the newest last."""
        raw: Any = await self.redis.lrange(self._key(conversation_id), -limit, -1)
        return [json.loads(item) for item in raw]

    async def erase(self, conversation_id: str) -> int:
        """Drop every note of a conversation (for erasure, PS-7); how many there were."""
        key = self._key(conversation_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.llen(key)
            pipe.delete(key)
            count, _ = await pipe.execute()
        return int(count)
