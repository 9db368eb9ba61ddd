"""Ingest: the only code on the webhook path. Dedupe, durable append, then the caller answers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core.metrics import Meters
from bot.core.records import encode_item
from bot.model import Inbound, StatusUpdate
from stores.redis import StoreTimeoutError
from stores.streams import InboundLog

ACCEPT_SECONDS = 10.0
"""How long an append may wait for the store: a Redis that stopped answering without
closing its connections (paused, its host stalled) would hold every webhook for as long,
past the provider's own timeout. Past it, the caller gets a 503 and retries; the append,
if it went through after all, is deduplicated then (CH-7)."""


def shard_of(conversation_id: str, shards: int) -> int:
    """The inbound shard of a conversation: one shard, so one worker, keeps its order."""
    return int(conversation_id[2:10], 16) % shards


class Ingestor:
    """Appends parsed items to the inbound log, each provider id at most once (CH-7)."""

    def __init__(self, log: InboundLog, meters: Meters) -> None:
        self.log = log
        self.meters = meters

    async def accept(self, items: Sequence[Inbound | StatusUpdate]) -> list[bool]:
        """Durably append the new items in one round trip; which of them were new."""
        shards = self.log.shards
        appends = [
            (shard_of(item.conversation_id, shards), item.dedupe_key, encode_item(item))
            for item in items
        ]
        try:
            async with asyncio.timeout(ACCEPT_SECONDS):
                new = await self.log.append_new(appends)
        except TimeoutError:
            raise StoreTimeoutError(
                f"the store did not answer within {ACCEPT_SECONDS:g} s"
            ) from None
        added = sum(new)
        self.meters.inbound_accepted.inc(added)
        self.meters.inbound_duplicates.inc(len(new) - added)
        return new
