"""Ingest: the only code on the webhook path. Dedupe, durable append, then the caller answers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.metrics import Meters
from bot.core.records import encode_item
from bot.model import Inbound, StatusUpdate
from stores.streams import InboundLog


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
        new = await self.log.append_new(
            [
                (shard_of(item.conversation_id, shards), item.dedupe_key, encode_item(item))
                for item in items
            ]
        )
        added = sum(new)
        self.meters.inbound_accepted.inc(added)
        self.meters.inbound_duplicates.inc(len(new) - added)
        return new
