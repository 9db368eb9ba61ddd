"""The per-conversation pipeline: stitch -> thread -> automation -> outbox and fan-out."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from bot.fanout import Fanout
from bot.identities import identities_of
from bot.model import AUTOMATION_SERVICE, Event, Inbound, Outbound, StatusUpdate, derived_id
from bot.sender import Sender
from handlers.autoreply import AutoReply
from handlers.base import Context
from stores.conversations import ConversationStore
from stores.profiles import ProfileStore
from stores.streams import Entry

log = logging.getLogger(__name__)


def encode_item(item: Inbound | StatusUpdate) -> str:
    kind = "message" if isinstance(item, Inbound) else "status"
    return json.dumps({"k": kind, "v": item.to_dict()}, ensure_ascii=False)


def decode_item(data: str) -> Inbound | StatusUpdate:
    document = json.loads(data)
    if document["k"] == "message":
        return Inbound.from_dict(document["v"])
    return StatusUpdate.from_dict(document["v"])


def inbound_record(message: Inbound) -> dict[str, Any]:
    """How an inbound message is kept in the timeline and told to services."""
    record: dict[str, Any] = {
        "id": message.provider_id,
        "direction": "inbound",
        "kind": message.kind,
        "text": message.text,
        "timestamp": message.timestamp,
    }
    if message.payload:
        record["payload"] = message.payload
    if message.media:
        record["media"] = asdict(message.media)
    if message.kind == "unsupported":
        record["provider_type"] = message.provider_type
    return record


class Pipeline:
    """Processes entries of the inbound log; safe to redo after a crash at any point."""

    def __init__(
        self,
        profiles: ProfileStore,
        conversations: ConversationStore,
        fanout: Fanout,
        sender: Sender,
        automation: AutoReply,
        region: str,
        shard_of: Any,
    ) -> None:
        self.profiles = profiles
        self.conversations = conversations
        self.fanout = fanout
        self.sender = sender
        self.automation = automation
        self.region = region
        self.shard_of = shard_of
        self.processed = 0

    async def process(self, entries: Sequence[Entry]) -> None:
        """Process a batch: conversations in parallel, each one strictly in log order."""
        groups: dict[str, list[Inbound | StatusUpdate]] = {}
        for entry in entries:
            item = decode_item(entry.data)
            groups.setdefault(item.conversation_id, []).append(item)
        await asyncio.gather(*(self._in_order(group) for group in groups.values()))

    async def _in_order(self, items: list[Inbound | StatusUpdate]) -> None:
        for item in items:
            if isinstance(item, Inbound):
                await self.handle_message(item)
            else:
                await self.handle_status(item)
            self.processed += 1

    async def handle_message(self, message: Inbound) -> None:
        cid = message.conversation_id
        profile = await self.profiles.resolve(
            identities_of(message, self.region),
            channel=message.channel,
            name=message.name,
            at=message.timestamp,
        )
        record = inbound_record(message)
        recorded = await self.conversations.record(
            cid,
            record,
            direction="inbound",
            number=message.number,
            customer=message.sender.key,
            channel=message.channel,
            profile=profile,
        )
        context = Context(message=message, first_contact=recorded.count == 1)
        self.automation.handle(context)
        # Ids derive from the message, so a redo after a crash queues the same sends and
        # events again, and their idempotency keys make that harmless.
        event = Event.new(
            "message.inbound",
            message.number,
            {
                "conversation_id": cid,
                "profile": profile,
                "channel": message.channel,
                "number": message.number,
                "customer": message.sender.key,
                "name": message.name,
                "message": record,
            },
            id=derived_id("evt", message.provider_id, "inbound"),
        )
        now = time.time()
        async with self.conversations.redis.pipeline(transaction=False) as pipe:
            for index, text in enumerate(context.replies):
                outbound = Outbound(
                    send_id=derived_id("snd", message.provider_id, str(index)),
                    conversation_id=cid,
                    channel=message.channel,
                    number=message.number,
                    recipient=message.sender,
                    text=text,
                    service=AUTOMATION_SERVICE,
                    created_at=now + index * 1e-6,
                )
                self.sender.queue(pipe, outbound, self.shard_of(cid))
            self.fanout.queue_events(pipe, [event])
            self.conversations.touch(pipe, message.number, cid, message.timestamp or now)
            await pipe.execute()

    async def handle_status(self, status: StatusUpdate) -> None:
        cid = status.conversation_id
        message_id = await self.conversations.message_for_provider_id(
            cid, status.provider_message_id
        )
        await self.conversations.set_status(cid, message_id, status.status)
        event = Event.new(
            "message.status",
            status.number,
            {
                "conversation_id": cid,
                "message_id": message_id,
                "provider_id": status.provider_message_id,
                "channel": status.channel,
                "number": status.number,
                "customer": status.recipient.key,
                "status": status.status,
                "error": status.error,
                "timestamp": status.timestamp,
            },
            id=derived_id("evt", status.provider_message_id, status.status),
        )
        async with self.conversations.redis.pipeline(transaction=False) as pipe:
            self.fanout.queue_events(pipe, [event])
            await pipe.execute()
