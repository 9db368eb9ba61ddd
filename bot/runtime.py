"""The composition root: builds stores, adapters and handlers, and runs the workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
import zlib
from typing import Any

import aiohttp
from redis.asyncio import Redis

from adapters.webchat import WebChatHub
from adapters.webhooks import WebhookClient
from bot.channels.registry import Channels
from bot.config.settings import Settings
from bot.config.watch import watch_config
from bot.core.directory import Directory
from bot.core.fanout import Deliveries, Fanout
from bot.core.ingest import Ingestor, shard_of
from bot.core.lifecycle import Lifecycle
from bot.core.links import LinkSigner, load_link_secret
from bot.core.pipeline import Pipeline
from bot.core.profiles import ProfileBook
from bot.core.sender import Sender
from bot.model import Event, Identity, Outbound, new_id
from bot.outreach.build import build_outreach
from bot.team.chat import SERVICE as TEAM_SERVICE
from bot.team.chat import TeamChat, team_service
from bot.team.desk import TeamDesk
from handlers.commands import Commands
from stores.activity import ActivityStore
from stores.claims import ClaimStore
from stores.conversations import ConversationStore
from stores.costs import CostLedger
from stores.deliveries import DeliveryQueue
from stores.leases import Leases
from stores.live import LiveChannel
from stores.notifications import NotificationStore
from stores.polling import PollOffsets
from stores.profiles import ProfileStore
from stores.rates import SharedRate
from stores.redis import Keys, RoundTrips, StoreClient, connect
from stores.secrets import SecretStore
from stores.services import ServiceStore
from stores.streams import Entry, InboundLog, ShardedStream
from stores.team import TeamPostStore

log = logging.getLogger(__name__)

CLAIM_SWEEP_SECONDS = 1.0
LEASE_TTL_MS = 5000
LEASE_RENEW_SECONDS = 1.5
BATCH = 200


class Runtime:
    """One process: the HTTP app's collaborators, the shard workers and fan-out."""

    def __init__(self, settings: Settings, redis: Redis | None = None) -> None:
        self.settings = settings
        self.redis = redis if redis is not None else connect(settings.redis_url)
        self.store_kind = "redis" if settings.redis_url or redis is not None else "embedded"
        self.store = StoreClient(self.redis)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        keys = Keys(settings.key_prefix)
        self.keys = keys
        self.inbound_log = InboundLog(self.redis, keys, settings.shards)
        self.outbox = ShardedStream(self.redis, keys, settings.shards, "outbox")
        self.profiles = ProfileStore(self.redis, keys, settings.profiles.policy)
        self.conversations = ConversationStore(self.redis, keys)
        self.deliveries = DeliveryQueue(self.redis, keys)
        self.live = LiveChannel(self.redis, keys)
        self.leases = Leases(self.redis, keys, self.holder)
        self.ingestor = Ingestor(self.inbound_log)
        self.web_hub = WebChatHub()
        # One HTTP session for every outbound call of this process, closed by close().
        self._session = aiohttp.ClientSession()
        self.channels = Channels(
            settings,
            self._session,
            self.leases,
            PollOffsets(self.redis, keys),
            SharedRate(self.redis, keys),
            self.live.publish,
            self.ingestor.accept,
        )
        self.services = ServiceStore(self.redis, keys)
        self.activity = ActivityStore(self.redis, keys)
        self.claims = ClaimStore(self.redis, keys)
        self.secrets = SecretStore(self.redis, keys)
        self.directory = Directory(self.services, settings.automation)
        self.fanout = Fanout(
            self.deliveries,
            Deliveries(WebhookClient(self._session, settings.delivery.timeout)),
            settings.delivery,
            self.directory,
            self.holder,
        )
        self.sender = Sender(
            self.outbox, self.conversations, self.channels.transports, self.fanout, self.store
        )
        self.pipeline = Pipeline(
            self.profiles,
            self.conversations,
            self.fanout,
            self.sender,
            self.directory,
            settings.default_region,
            self.shard_of,
            Lifecycle(settings, self.claims),
            lambda: self.numbers,
        )
        self.outreach = build_outreach(
            settings,
            NotificationStore(self.redis, keys),
            CostLedger(self.redis, keys),
            self.profiles,
            self.sender,
            self.leases,
            self.shard_of,
        )
        self.profile_book = ProfileBook(
            self.profiles,
            self.conversations,
            self.activity,
            self.publish_everywhere,
            settings.default_region,
            settings.profiles.notes_timezone,
        )
        self.desk = TeamDesk(self)
        self.commands = Commands(self.profile_book, self.desk)
        self.team_chat: TeamChat | None = None
        telegram = self.channels.telegram
        if telegram and settings.telegram and settings.telegram.team_chat_id:
            self.team_chat = TeamChat(
                settings.telegram.team_chat_id,
                telegram,
                TeamPostStore(self.redis, keys),
                self.commands,
                self.desk,
            )
            self.pipeline.team = self.team_chat
            self.fanout.client.local[TEAM_SERVICE] = self.team_chat.deliver
        self.link_signer: LinkSigner | None = None
        """Signs tracked links (PS-3); loaded by start(), as its secret may live in Redis."""
        self._supervisor: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._fanout: asyncio.Task[None] | None = None
        self._lapses: asyncio.Task[None] | None = None
        self._telegram: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._shards: dict[int, asyncio.Task[None]] = {}
        self._handovers: dict[int, asyncio.Event] = {}
        self._stopping = asyncio.Event()

    @property
    def numbers(self) -> list[str]:
        """The numbers this deployment serves: the web chat and each configured channel."""
        return self.channels.numbers

    async def publish(self, events: list[Event]) -> None:
        """Fan events out to the services attached to their numbers."""
        if events:
            await self.fanout.publish(events)

    async def publish_everywhere(self, events: list[Event]) -> None:
        """Fan out events that concern every number (a profile's), once per service."""
        await self.fanout.broadcast(self.numbers, events)

    async def _announce_lapsed_claims(self) -> None:
        """Tell every service when an idle claim lapses; one process reports each (SN-5)."""
        while True:
            try:
                for conversation_id in await self.claims.lapsed(time.time()):
                    meta = await self.conversations.meta(conversation_id)
                    data = {"conversation_id": conversation_id, "reason": "lapsed"}
                    await self.publish([Event.new("conversation.released", meta["number"], data)])
            except Exception:
                log.exception("could not announce lapsed claims")
            await asyncio.sleep(CLAIM_SWEEP_SECONDS)

    def shard_of(self, conversation_id: str) -> int:
        return shard_of(conversation_id, self.settings.shards)

    async def start(self) -> None:
        secret = await load_link_secret(self.secrets, self.settings.link_secret)
        self.link_signer = LinkSigner(secret, self.settings.public_url)
        if self.settings.links:
            self.sender.rewrite_links = self.link_signer.rewrite
        await self.inbound_log.ensure_groups()
        await self.outbox.ensure_groups()
        await self.publish(
            await self.directory.adopt_config(
                self.numbers,
                (*self.settings.services, *([team_service()] if self.team_chat else [])),
                self.settings.runtime_service,
            )
        )
        self._fanout = asyncio.create_task(self.fanout.run())
        self._lapses = asyncio.create_task(self._announce_lapsed_claims())
        listening = asyncio.Event()
        self._listener = asyncio.create_task(self.live.listen(self.web_hub.push, listening))
        self._supervisor = asyncio.create_task(self._supervise_shards())
        await self.channels.start()
        if self.channels.telegram:
            self._telegram = asyncio.create_task(self.channels.telegram.run(self._stopping))
        if self.settings.config_path:
            self._watcher = asyncio.create_task(
                watch_config(self.settings.config_path, self.directory, self._stopping)
            )
        self._scheduler = asyncio.create_task(self.outreach.scheduler.run(self._stopping))
        await listening.wait()

    async def reply(
        self, conversation_id: str, text: str, *, service: str, agent: str = ""
    ) -> Outbound:
        """Queue an agent's free-form reply; refused first if it cannot go (CH-2)."""
        meta = await self.conversations.meta(conversation_id)
        if not meta or meta.get("customer") == "erased":
            raise LookupError(f"no conversation {conversation_id}")
        outbound = Outbound(
            send_id=new_id("snd"),
            conversation_id=conversation_id,
            channel=meta["channel"],
            number=meta["number"],
            recipient=Identity.parse(meta["customer"]),
            text=text,
            service=service,
            agent=agent,
            profile=meta.get("profile", ""),
        )
        await self.sender.send(outbound, self.shard_of(conversation_id))
        return outbound

    async def stop(self) -> None:
        """Drain: finish the batches in hand, deliver what is in flight, then let go (REL-6)."""
        self._stopping.set()
        if self._supervisor:
            self.fanout.stop()
            await self._supervisor
            await _settle(list(self._shards.values()), grace=15)
            if self._fanout:
                await _settle([self._fanout], grace=self.settings.delivery.timeout + 10)
        if self._telegram:
            await _settle([self._telegram], grace=10)
        if self._scheduler:
            await _settle([self._scheduler], grace=5)
        for task in (self._listener, self._lapses, self._watcher):
            if task:
                task.cancel()
                await _settle([task], grace=5)
        for shard in list(self._shards):
            await self.leases.release(f"shard:{shard}")
        await self.web_hub.close_all()
        await self.close()

    async def close(self) -> None:
        """Let go of the HTTP session and the store; for a runtime that was never started too."""
        await self.channels.close()
        await self._session.close()
        await self.store.close()

    async def _supervise_shards(self) -> None:
        """Hold leases on a fair share of the shards, so each conversation has ONE worker.

        Live processes announce themselves; each takes at most its share of the shards,
        and hands over what is beyond it (after the batch in hand) when others join.
        """
        shards = self.settings.shards
        start = zlib.crc32(self.holder.encode()) % shards  # spread the first picks
        order = [(start + offset) % shards for offset in range(shards)]
        while not self._stopping.is_set():
            try:
                alive = await self.leases.heartbeat("shards", LEASE_TTL_MS)
            except Exception:
                log.exception("could not announce this process to the others")
                alive = 1
            share = -(-shards // max(alive, 1))
            for shard in order:
                await self._keep_or_take(shard, share)
            active = [
                shard
                for shard in order
                if shard in self._shards and not self._handovers[shard].is_set()
            ]
            for shard in active[share:]:
                log.info(
                    "handing shard %d over: %d processes share %d shards", shard, alive, shards
                )
                self._handovers[shard].set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), LEASE_RENEW_SECONDS)
        with contextlib.suppress(Exception):
            await self.leases.leave("shards")

    async def _keep_or_take(self, shard: int, share: int) -> None:
        task = self._shards.get(shard)
        name = f"shard:{shard}"
        if task is not None and task.done() and self._handovers[shard].is_set():
            await self.leases.release(name)  # handed over: the batch in hand is done
            del self._shards[shard], self._handovers[shard]
            return
        if task is None and len(self._shards) >= share:
            return
        try:
            token = await self.leases.acquire(name, LEASE_TTL_MS)
        except Exception:
            log.exception("could not renew the lease of shard %d", shard)
            token = None
        if token is not None and (task is None or task.done()):
            self._handovers[shard] = asyncio.Event()
            self._shards[shard] = asyncio.create_task(self._work_shard(shard))
        elif token is None and task is not None:
            task.cancel()  # the lease is lost: another process works this shard now
            del self._shards[shard], self._handovers[shard]

    async def _work_shard(self, shard: int) -> None:
        # A TaskGroup, so that one consumer failing cancels its sibling: a shard never has
        # a worker nobody watches while the supervisor starts a new one.
        handover = self._handovers[shard]
        async with asyncio.TaskGroup() as group:
            group.create_task(
                self._consume(self.inbound_log, shard, self.pipeline.process, handover)
            )
            group.create_task(self._consume(self.outbox, shard, self.sender.perform, handover))

    async def _consume(
        self, stream: ShardedStream, shard: int, work: Any, handover: asyncio.Event
    ) -> None:
        """Redo what a dead holder left pending, then read new entries until stopped.

        After any failure the batch stays unacknowledged; it is taken back and redone.
        """
        recovering = True
        while True:
            try:
                if recovering:
                    batch: list[Entry] = await stream.claim_pending(shard, self.holder)
                    recovering = False
                else:
                    batch = await stream.read(shard, self.holder, BATCH, 500)
                if batch:
                    await work(batch)
                    await stream.ack(shard, [entry.id for entry in batch])
            except Exception:
                log.exception("shard %d: a batch failed; it will be redone", shard)
                recovering = True
                await asyncio.sleep(1)
            if self._stopping.is_set() or handover.is_set():
                return

    def counters(self) -> dict[str, int]:
        counters = {
            "inbound_accepted_total": self.ingestor.accepted,
            "inbound_duplicates_total": self.ingestor.duplicates,
            "redis_commands_total": RoundTrips.commands,
            "redis_round_trips_total": RoundTrips.round_trips,
        }
        if self._supervisor:
            counters["pipeline_processed_total"] = self.pipeline.processed
            counters["fanout_delivered_total"] = self.fanout.delivered
            counters["fanout_failed_attempts_total"] = self.fanout.failed_attempts
        return counters


async def _settle(tasks: list[asyncio.Task[Any]], grace: float) -> None:
    """Let tasks finish on their own for ``grace`` seconds, then cancel what is left."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=grace)
    for task in late:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await task
            except Exception:
                log.exception("a worker failed while stopping")
