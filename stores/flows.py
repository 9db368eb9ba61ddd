"""Where each conversation is in a guided conversation (AU-2): one key under the
conversation's hash tag, with a TTL, so the state survives restarts, serves any
process, and is forgotten after the flow's timeout."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from stores.redis import Keys, Pipe

log = logging.getLogger(__name__)


class BaseFlowStateStore(Protocol):
    """Each conversation's place in a guided conversation, forgotten after a timeout."""

    def queue_lookup(self, pipe: Pipe, conversation_id: str) -> None:
        """Queue the read of the state; ``decode`` reads the answer."""

    def queue_save(
        self, pipe: Pipe, conversation_id: str, state: dict[str, Any], ttl: float
    ) -> None:
        """Keep ``state`` for ``ttl`` seconds from now, on the caller's pipeline."""

    def queue_clear(self, pipe: Pipe, conversation_id: str) -> None:
        """Forget the state, on the caller's pipeline."""

    @staticmethod
    def decode(raw: str | None) -> dict[str, Any] | None:
        """A looked-up state; None when there is none, or when it is not a JSON object."""

    async def get(self, conversation_id: str) -> dict[str, Any] | None:
        """The state of one conversation; None when there is none."""

    async def get_many(self, conversation_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """The state of each conversation, in one round trip."""

    async def ttl(self, conversation_id: str) -> float:
        """Seconds until the state expires; -2 when there is none (as Redis says)."""


class FlowStateStore(BaseFlowStateStore):
    """Flow states as JSON documents; the pipeline queues reads and writes on its own
    pipelines, so they cost no round trip of their own."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def key(self, conversation_id: str) -> str:
        return self.keys.conversation(conversation_id, "flow")

    def queue_lookup(self, pipe: Pipe, conversation_id: str) -> None:
        """Queue the read of the state; ``decode`` reads the answer."""
        pipe.get(self.key(conversation_id))

    def queue_save(
        self, pipe: Pipe, conversation_id: str, state: dict[str, Any], ttl: float
    ) -> None:
        """Keep ``state`` for ``ttl`` seconds from now (each answer restarts the clock)."""
        document = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
        pipe.set(self.key(conversation_id), document, px=max(1, int(ttl * 1000)))

    def queue_clear(self, pipe: Pipe, conversation_id: str) -> None:
        pipe.delete(self.key(conversation_id))

    @staticmethod
    def decode(raw: str | None) -> dict[str, Any] | None:
        """A looked-up state; None when there is none, or when it is not a JSON object."""
        if not raw:
            return None
        try:
            document = json.loads(raw)
        except ValueError:
            log.warning("a flow state that is not JSON was dropped")
            return None
        return document if isinstance(document, dict) else None

    async def get(self, conversation_id: str) -> dict[str, Any] | None:
        raw: Any = await self.redis.get(self.key(conversation_id))
        return self.decode(raw)

    async def get_many(self, conversation_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                self.queue_lookup(pipe, conversation_id)
            found = await pipe.execute()
        return [self.decode(raw) for raw in found]

    async def ttl(self, conversation_id: str) -> float:
        """Seconds until the state expires; -2 when there is none (as Redis says)."""
        millis = int(await self.redis.pttl(self.key(conversation_id)))
        return millis / 1000 if millis >= 0 else float(millis)
