"""The composition root: the one place that knows every concrete class. It builds the
stores, channels, core, team and outreach of one process, hands each its collaborators
at construction, and starts and stops the long-running tasks."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import socket
from dataclasses import replace

import aiohttp
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisClusterException, RedisError

from adapters import sms
from adapters.files import TelegramFiles, TwilioFiles, WhatsAppFiles, download_session
from adapters.keepalive import KeepAlivePoster
from adapters.webchat import WebChatHub, WebChatTransport
from adapters.webhooks import WebhookClient
from adapters.whatsapp import WhatsAppClient
from bot.api.app import build_api, build_live
from bot.api.common import PARTS, ApiParts
from bot.channels.registry import Channels, SMSTransport, WhatsAppTransport, configured_numbers
from bot.channels.telegram import DeferredClient, TelegramChannel
from bot.channels.typing import TypingSignals
from bot.config.environment import MAX_SHARDS, masked
from bot.config.settings import ConfigError, Settings
from bot.config.watch import watch_config
from bot.core.couriers import Couriers, Deliveries
from bot.core.directory import Directory
from bot.core.fallback import FallbackGate
from bot.core.fanout import Fanout
from bot.core.guided import GuidedConversations
from bot.core.ingest import Ingestor, shard_of
from bot.core.keywords import DEFAULT_SMS_HELP, keyword_table
from bot.core.lifecycle import Lifecycle
from bot.core.links import LinkSigners, load_link_secret
from bot.core.livetokens import LiveTokens
from bot.core.media import MediaLibrary, MediaLinks, ProviderFiles
from bot.core.metrics import Meters
from bot.core.pipeline import Pipeline
from bot.core.profiles import ProfileBook
from bot.core.sender import CALL_SECONDS, Sender, Transport
from bot.core.visitor_tokens import VisitorTokens
from bot.core.workers import LEASE_TTL_MS, ShardWorkers, settle
from bot.http.app import WebParts, build_app
from bot.http.metrics import Metrics
from bot.http.tracking import Tracking, profile_activity
from bot.http.widget import Widget
from bot.outreach.audience import Audience
from bot.outreach.notifications import Notifications, SendOutcomes
from bot.outreach.parts import Outreach
from bot.outreach.runs import Runs
from bot.outreach.scheduler import Scheduler
from bot.outreach.sequence_reports import SequenceReports
from bot.outreach.sequence_team import TeamSequences
from bot.outreach.sequences import Sequences
from bot.outreach.spec import channel_of
from bot.outreach.team import TeamNotifications
from bot.outreach.workflows import Workflows
from bot.team.actions import ConversationActions
from bot.team.chat import SERVICE as TEAM_SERVICE
from bot.team.chat import TeamChat, team_service
from bot.team.desk import TeamDesk, team_among
from bot.team.lapses import announce_lapsed_claims
from bot.team.roles import TeamRoster
from handlers.commands import Commands
from stores.activity import ActivityStore
from stores.audience import AudienceReader
from stores.campaigns import CampaignStore
from stores.claims import ClaimStore
from stores.conversations import ConversationStore
from stores.costs import CostLedger
from stores.deliveries import DeliveryQueue
from stores.events import EventLog
from stores.flows import FlowStateStore
from stores.idempotency import IdempotencyStore
from stores.leases import Leases
from stores.live import LiveChannel
from stores.media import MediaStore
from stores.notes import NoteStore
from stores.notifications import NotificationStore
from stores.polling import PollOffsets
from stores.profiles import ProfileStore
from stores.rates import SharedRate
from stores.redis import BLOCKING_AT_MOST, Keys, StoreClient, connect, is_store_fault
from stores.secrets import SecretStore
from stores.sequences import SequenceStore
from stores.services import ServiceStore
from stores.streams import InboundLog, ShardedStream
from stores.team import TeamPostStore, TeamStore

log = logging.getLogger(__name__)
STEP_SECONDS = 5.0
"""The longest a step of the stop that waits on the store waits: a stalled Redis (paused,
not closed) answers nothing, and the stop goes on without it."""
RECORDS_SECONDS = 15.0
"""The longest the stop waits for the records of the sends that went out to be stored."""
SCHEDULER_SECONDS = 5.0
"""The longest the stop waits for the outreach scheduler's round under way."""


class StoreOutOfReach(ConfigError):
    """REDIS_URL answered nothing at a start: a refusal that passes (Redis restarting,
    paused, failing over), unlike a mistake in the configuration."""


EMBEDDED_SHARDS = 64
"""The most shards the embedded store's one process works: their order needs no more, and
its blocking reads are all woken by each write (at 1,024, an idle bot took a core)."""


class Runtime:
    """One process, built: its stores, channels, core, team and outreach."""

    def __init__(
        self, settings: Settings, redis: Redis | None = None, *, sending: bool = True
    ) -> None:
        """``sending`` False for a process that only queues sends for the running bot
        (the CLI's ``admin`` commands): it needs none of the channels' credentials."""
        if not settings.redis_url and redis is None and settings.shards > EMBEDDED_SHARDS:
            log.warning(
                "SWITCHBOARD_SHARDS=%d on the embedded store: its one process works %d "
                "(each shard's reads are woken by every write there: past that, an idle "
                "bot's CPU grows with their square)",
                settings.shards,
                EMBEDDED_SHARDS,
            )
            settings = replace(settings, shards=EMBEDDED_SHARDS)
        self.settings = settings
        self.sending = sending
        self.redis = redis if redis is not None else connect(settings.redis_url, settings.shards)
        self.store_kind = "redis" if settings.redis_url or redis is not None else "embedded"
        self.store = StoreClient(self.redis)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.keys = Keys(settings.key_prefix)
        self.shard_of = functools.partial(shard_of, shards=settings.shards)
        self.meters = Meters()
        # Before anything that needs closing: a missing Telegram extra stops the start here.
        self._telegram_client = DeferredClient(settings.telegram) if settings.telegram else None
        # The providers' calls that are not kept alive (SMS sends, uploads to Meta), closed
        # by close(); customers' files are fetched on a session of their own.
        self._session = aiohttp.ClientSession()
        self._downloads = download_session()
        # The fan-out's POSTs, on connections kept alive per service (adapters/keepalive.py);
        # each service's delivery concurrency bounds its own, and nothing bounds them all.
        self._posts = KeepAlivePoster(limit=None)
        # The providers' send calls, kept-alive too, and never sent twice by the client.
        self._calls = KeepAlivePoster(keep_answers=True)
        self._build_stores()
        self.lifecycle = Lifecycle(settings, self.claims)
        self._build_channels()
        self._build_core()
        self._build_outreach()
        self._build_team()
        self.pipeline = Pipeline(
            self.profiles,
            self.conversations,
            self.fanout,
            self.sender,
            self.directory,
            settings.default_region,
            self.shard_of,
            self.lifecycle,
            lambda: self.channels.numbers,
            GuidedConversations(
                FlowStateStore(self.redis, self.keys),
                self.profiles,
                settings.default_region,
                self.conversations,
            ),
            FallbackGate(self.conversations, self.claims),
            self.store,
            self.meters,
            self.team_chat,
            keyword_table(settings.keywords),
            self.outreach.sequences,
            settings.sms_help or DEFAULT_SMS_HELP,
        )
        streams = [(self.inbound_log, self.pipeline.process), (self.outbox, self.sender.perform)]
        self.workers = ShardWorkers(
            streams,
            self.leases,
            self.holder,
            settings.shards,
            self.meters,
            departed=self.couriers.changed,
            riders=[self.outreach.scheduler],
            # The embedded store's one process works every shard: its pool has room for it.
            most=None if self.store_kind == "embedded" else BLOCKING_AT_MOST // len(streams),
        )
        self.outreach.scheduler.renewed_elsewhere = True
        self.metrics = Metrics(
            self.meters,
            (self.inbound_log, self.outbox),
            self.notification_store,
            self.deliveries,
            self.couriers.services,
            lambda: self.services.detached_somewhere(),  # the store is made below
        )
        self.tracking = Tracking(
            self.profiles,
            self.activity,
            self.profile_book,
            self.links,
            settings.public_url,
            tuple(settings.tracking_origins),
            self.outreach.notifications.clicked,
            settings.visitor_secret,
            settings.web_event_bytes_per_hour,
        )
        self._couriers: asyncio.Task[None] | None = None
        self._adopting: asyncio.Task[None] | None = None
        """Attaching the configured services again, after the store came back empty."""
        self._background: list[asyncio.Task[None]] = []  # no work of their own: cancelled
        self._telegram: asyncio.Task[None] | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.reload_asked = asyncio.Event()
        """Set to read the config file again now, changed or not (SIGHUP)."""

    def _build_stores(self) -> None:
        redis, keys, settings = self.redis, self.keys, self.settings
        self.inbound_log = InboundLog(redis, keys, settings.shards)
        self.outbox = ShardedStream(redis, keys, settings.shards, "outbox")
        # Erased identities are kept as digests keyed by the links' secret (PS-7).
        self.profiles = ProfileStore(
            redis,
            keys,
            settings.profiles.policy,
            lambda: load_link_secret(self.secrets, settings.link_secret),
        )
        self.conversations = ConversationStore(redis, keys)
        self.deliveries = DeliveryQueue(redis, keys)
        self.live = LiveChannel(redis, keys)
        self.leases = Leases(redis, keys, self.holder)
        self.services = ServiceStore(redis, keys)
        self.activity = ActivityStore(redis, keys)
        self.claims = ClaimStore(redis, keys)
        self.notes = NoteStore(redis, keys)
        self.idempotency = IdempotencyStore(redis, keys)
        bots = [settings.telegram.bot_id] if settings.telegram else []
        self.roster = TeamRoster(TeamStore(redis, keys), settings.team, bots=bots)
        self.notification_store = NotificationStore(redis, keys)
        self.ledger = CostLedger(redis, keys)
        self.audience_reader = AudienceReader(self.profiles)
        self.rate = SharedRate(redis, keys, self.store.together)
        self.secrets = SecretStore(redis, keys)
        # Files' URLs are signed with the links' secret, under a key of their own.
        load_secret = functools.partial(load_link_secret, self.secrets, settings.link_secret)
        self.media = MediaLibrary(
            MediaStore(redis, keys), MediaLinks(load_secret, settings.public_url)
        )

    def _build_channels(self) -> None:
        settings, session, downloads = self.settings, self._session, self._downloads
        self.ingestor = Ingestor(self.inbound_log, self.meters)
        self.web_hub = WebChatHub()
        self.whatsapp_client: WhatsAppClient | None = None
        web = WebChatTransport(
            self.live.publish,
            lambda media_id: self.media.links.url(media_id),
            self.media.keep,
        )
        transports: dict[str, Transport] = {"web": web}
        if wa := settings.whatsapp:
            client = WhatsAppClient(self._calls, wa.api_base, wa.phone_number_id, wa.access_token)
            self.whatsapp_client = client
            files = WhatsAppFiles(session, wa.api_base, wa.phone_number_id, wa.access_token)
            transports["whatsapp"] = WhatsAppTransport(
                client, self.rate, wa.number, wa.messages_per_second, files, self.media
            )
            wa_files = WhatsAppFiles(downloads, wa.api_base, wa.phone_number_id, wa.access_token)
            self.media.providers["wa"] = ProviderFiles(wa.number, wa_files.open)
        telegram = None
        if settings.telegram and self._telegram_client is not None:
            telegram = TelegramChannel(
                settings.telegram,
                self._telegram_client,
                self.leases,
                PollOffsets(self.redis, self.keys),
                self.ingestor.accept,
                self.rate,
                settings.telegram_lease_ttl,
                self.media,
            )
            transports["telegram"] = telegram
            tg_files = TelegramFiles(downloads, settings.telegram.api_base, settings.telegram.token)
            self.media.providers["tg"] = ProviderFiles(settings.telegram.number, tg_files.open)
        if text := settings.sms:
            client_sms = sms.SMSClient(
                session, text.api_base, text.account_sid, text.auth_token, text.sender
            )
            mms = TwilioFiles(downloads, text.api_base, text.account_sid, text.auth_token)
            self.media.providers["sms"] = ProviderFiles(text.number, mms.open)
            callback = f"{settings.public_url.rstrip('/')}/webhooks/sms"
            transports["sms"] = SMSTransport(client_sms, callback)
        numbers = configured_numbers(settings)
        self.channels = Channels(numbers, transports, telegram, settings.public_url)

    def _build_core(self) -> None:
        settings = self.settings
        self.directory = Directory(self.services, settings.automation)
        self.couriers = Couriers(
            self.deliveries,
            Deliveries(WebhookClient(self._posts, settings.delivery.timeout)),
            settings.delivery,
            self.directory,
            self.holder,
            self.meters,
        )
        self.event_log = EventLog(self.redis, self.keys)
        self.fanout = Fanout(
            self.deliveries,
            self.directory,
            self.couriers.hint,
            self.event_log,
            ride=self.couriers.ride,
        )
        load_secret = functools.partial(load_link_secret, self.secrets, settings.link_secret)
        self.links = LinkSigners(load_secret, settings.public_url)
        self.visitor_tokens = VisitorTokens(load_secret)
        self.live_tokens = LiveTokens(load_secret, settings.live_token_ttl)
        self.sender = Sender(
            self.outbox,
            self.conversations,
            self.channels.transports,
            self.fanout,
            self.store,
            self.meters,
            outcomes=SendOutcomes(self.notification_store, self.ledger, settings.rate_card),
            links=self.links if settings.links else None,
            queues_only=not self.sending,
        )
        self.profile_book = ProfileBook(
            self.profiles,
            self.conversations,
            self.activity,
            functools.partial(self.fanout.broadcast, self.channels.numbers),
            settings.default_region,
            settings.profiles.notes_timezone,
            forget_queued=self.fanout.forget,
            forget_campaigns=CampaignStore(self.redis, self.keys).forget,
            forget_media=self.media.forget,
            forget_answers=self.idempotency.forget,
        )
        self.actions = ConversationActions(
            self.conversations,
            self.claims,
            self.services,
            self.directory,
            self.sender,
            self.fanout.publish,
            self.channels.numbers,
            claim_idle=settings.claim_idle,
            shards=settings.shards,
        )

    async def _adopt_config(self, *, define: bool = True) -> None:
        """Attach the configured services to each number, as kept (SN-1); ``define``: their
        definitions stored as the settings have them first."""
        await self.fanout.publish(
            await self.directory.adopt_config(
                self.numbers,
                (*self.settings.services, *([team_service()] if self.team_chat else [])),
                self.settings.runtime_service,
                define=define,
            )
        )

    def _store_emptied(self) -> None:
        if self._adopting is None or self._adopting.done():
            self._adopting = asyncio.create_task(self._adopt_again())

    async def _adopt_again(self) -> None:
        try:
            await self._adopt_config()
        except Exception:  # the store out of reach again: the next emptied shard retries
            log.exception("could not attach the configured services again")
            return
        log.warning("the store came back empty: the configured services are attached again")

    def _build_outreach(self) -> None:
        settings = self.settings
        audience = Audience(
            self.audience_reader,
            settings.notifications,
            settings.rate_card,
            settings.default_region,
        )
        runs = Runs(
            self.notification_store,
            audience,
            self.sender,
            self.ledger,
            self.leases,
            self.profiles,
            settings.notifications,
            self.shard_of,
            self.store,
            parent_of=self._parent_of,
            owner_for=self.lifecycle.owner_for,
            team_on=self._team_on,
            rate_of=self._rate_of,
        )
        scheduler = Scheduler(self.notification_store, runs, self.leases, self.meters)
        notifications = Notifications(
            self.notification_store,
            runs,
            self.ledger,
            self.audience_reader,
            settings.notifications,
            settings.rate_card,
            scheduler.wake,
            team=settings.team,
        )
        sequences = Sequences(
            settings.sequences,
            SequenceStore(self.redis, self.keys),
            notifications,
            self.profile_book,
            self._parent_of,
        )
        scheduler.sequences = sequences
        self.profile_book.forget_enrolments = sequences.forget
        runs.on_deferred = sequences.deferred
        runs.ended = sequences.ended
        workflows = Workflows(settings.workflows, notifications, settings.default_region)
        workflows.sequences = sequences
        self.outreach = Outreach(
            notifications, workflows, scheduler, sequences, SequenceReports(sequences)
        )

    async def _team_on(self, number: str) -> bool:
        """Whether the team works ``number`` now (the team's notifications go there)."""
        return await team_among(self.services, await self.services.order(number))

    def _rate_of(self, number: str) -> float | None:
        """The sends a second ``number``'s channel takes: None with no limit of ours; 0
        when this process has no channel of it (``admin notify`` without the channel's
        variables), so that a run queues the least and the running bot the rest."""
        transport = self.channels.transports.get(channel_of(number))
        return 0.0 if transport is None else transport.per_second

    async def _parent_of(self, number: str) -> str | None:
        """The parent service of a number now, None while none is attached."""
        attached = await self.directory.attached(number)
        return attached[0].name if attached else None

    def _build_team(self) -> None:
        self.desk = TeamDesk(
            self.actions,
            self.conversations,
            self.claims,
            self.profiles,
            self.notes,
            self.roster,
            self.directory,
        )
        notify = TeamNotifications(
            self.outreach.notifications, self.settings.default_region, self.profile_book
        )
        sequences = TeamSequences(
            self.outreach.sequences, self.outreach.sequence_reports, self.settings.default_region
        )
        self.commands = Commands(
            self.profile_book, self.desk, notify, sequences, outage=is_store_fault
        )
        self.team_chat: TeamChat | None = None
        telegram = self.channels.telegram
        if telegram:
            telegram.blocked = self.conversations.set_blocked
        team = self.settings.telegram
        if telegram and team and team.team_chat_id:
            self.team_chat = TeamChat(
                team.team_chat_id,
                telegram,
                TeamPostStore(self.redis, self.keys),
                self.commands,
                self.roster,
                self.desk,
            )
            # The team chat both hears the fan-out and acts through it: its receiver joins
            # the fan-out once both exist.
            self.couriers.client.local[TEAM_SERVICE] = self.team_chat.deliver
            telegram.chat_moved = self.team_chat.moved

    @property
    def numbers(self) -> list[str]:
        """The numbers this deployment serves: the web chat and each configured channel."""
        return self.channels.numbers

    def http_app(self) -> web.Application:
        """The one aiohttp application of this process, with /v1 inside it."""
        api = build_api(
            ApiParts(
                actions=self.actions,
                conversations=self.conversations,
                claims=self.claims,
                services=self.services,
                directory=self.directory,
                notes=self.notes,
                idempotency=self.idempotency,
                events=self.event_log,
                profiles=self.profile_book,
                notifications=self.outreach.notifications,
                workflows=self.outreach.workflows,
                typing=TypingSignals(
                    self.live.publish,
                    self.channels.telegram,
                    self.whatsapp_client,
                    self.conversations.timeline,
                ),
                activity=functools.partial(profile_activity, self.tracking),
                configured=self.channels.numbers,
                media=self.media,
                admin_token=self.settings.admin_token,
                region=self.settings.default_region,
                sequences=self.outreach.sequences,
                sequence_reports=self.outreach.sequence_reports,
                live_tokens=self.live_tokens,
                templates=self.settings.templates,
                public_url=self.settings.public_url.rstrip("/"),
                owner_for=self.lifecycle.owner_for,
            )
        )
        return build_app(
            WebParts(
                settings=self.settings,
                ingestor=self.ingestor,
                conversations=self.conversations,
                services=self.services,
                live=self.live,
                web_hub=self.web_hub,
                telegram=self.channels.telegram,
                tracking=self.tracking,
                widget=Widget(self.tracking, self.visitor_tokens, self.settings.branding),
                media=self.media,
                api=api,
                live_view=build_live(api[PARTS]),
                configured=self.channels.numbers,
                publish_to_parent=self.fanout.publish_to_parent,
                writable=functools.partial(self.store.writable, self.keys.ready),
                store_kind=self.store_kind,
                meters=self.meters,
                metrics=self.metrics.exposition,
            )
        )

    async def start(self) -> None:
        await self.reach_store()
        await self.links.signer()  # a bad SWITCHBOARD_LINK_SECRET stops the start
        await self.inbound_log.ensure_groups()
        await self.outbox.ensure_groups()
        await self._say_what_waits_beyond_the_shards()
        await self._agree_on_the_shards()
        await self._adopt_config(define=not self.settings.services_as_stored)
        # Redis came back empty (no persistence): the configured services are attached
        # again, as at a start, or the numbers would go on idle until a restart.
        self.inbound_log.emptied = self.outbox.emptied = self._store_emptied
        listening, schedule_heard, fanout_heard = (asyncio.Event() for _ in range(3))
        self.fanout.announce = False  # this process's couriers are told directly
        self._couriers = asyncio.create_task(self.couriers.run())
        self._background = [
            asyncio.create_task(
                announce_lapsed_claims(
                    self.claims,
                    self.conversations,
                    self.fanout.publish,
                    self.settings.claim_idle,
                )
            ),
            asyncio.create_task(self.live.listen(self.web_hub.push, listening)),
            asyncio.create_task(self.meters.keep_store_commands()),
            asyncio.create_task(
                self.notification_store.listen(self.outreach.scheduler.wake, schedule_heard)
            ),
            asyncio.create_task(self.deliveries.listen(self.couriers.changed, fanout_heard)),
        ]
        if self.store_kind == "embedded":
            from stores.embedded import EmbeddedRedis, sweep_expired  # fakeredis: only then

            if isinstance(self.redis, EmbeddedRedis):
                self._background.append(
                    asyncio.create_task(sweep_expired(self.redis, self._stopping))
                )
        self._supervisor = asyncio.create_task(self.workers.supervise(self._stopping))
        await self.channels.start()
        if self.channels.telegram:
            self._telegram = asyncio.create_task(self.channels.telegram.run(self._stopping))
        if self.settings.config_path:
            self._background.append(
                asyncio.create_task(
                    watch_config(
                        self.settings.config_path,
                        self.directory.reload_automation,
                        self._stopping,
                        self.settings.config_read_at,
                        self.reload_asked,
                    )
                )
            )
        self._scheduler = asyncio.create_task(self.outreach.scheduler.run(self._stopping))
        await listening.wait()
        await schedule_heard.wait()
        await fanout_heard.wait()

    async def reach_store(self) -> None:
        """An unreachable REDIS_URL stops the start in one line, before any work begins."""
        url = masked(self.settings.redis_url or "")
        try:
            async with asyncio.timeout(STEP_SECONDS):  # a stalled Redis answers nothing
                await self.store.ping()
                cluster_node = await self.store.cluster_node()
        except TimeoutError:
            raise StoreOutOfReach(
                f"REDIS_URL={url}: cannot connect (no answer in {STEP_SECONDS:g} s)"
            ) from None
        except (RedisError, OSError) as error:
            raise StoreOutOfReach(f"REDIS_URL={url}: cannot connect ({error})") from None
        except RedisClusterException as error:  # it answers, and is no cluster (or a broken one)
            if "cluster mode is not enabled" not in str(error).lower():
                raise ConfigError(
                    f"REDIS_URL={url}: cannot use it as a Redis Cluster ({error})"
                ) from None
            raise ConfigError(
                f"REDIS_URL={url}: this Redis is no Redis Cluster: name it redis://host:port/0 "
                "(rediss:// over TLS)"
            ) from None
        if cluster_node:
            raise ConfigError(
                f"REDIS_URL={url}: this is a node of a Redis Cluster: name it "
                "redis+cluster://host:port (rediss+cluster:// over TLS)"
            )

    async def shards_in_use(self) -> int | None:
        """The SWITCHBOARD_SHARDS of the processes that run (or last ran) on the store:
        where a process that only queues (the CLI's) must put a conversation's work."""
        used = await self.leases.setting("shards")
        return int(used) if used and used.isdigit() else None

    async def _agree_on_the_shards(self) -> None:
        """A process with another SWITCHBOARD_SHARDS than those running on the store would
        put a conversation on another shard than theirs (two workers, its order lost) and
        leave shards nobody works: it stops the start."""
        shards = str(self.settings.shards)
        used = await self.leases.agree("shards", shards, LEASE_TTL_MS)
        if used != shards:
            raise ConfigError(
                f"SWITCHBOARD_SHARDS={shards}, and the processes running on this Redis (or "
                f"one killed in the last {LEASE_TTL_MS // 1000} s) use {used}: every process "
                "needs the same (to change it, stop them all, then start them with the new one)"
            )

    async def _say_what_waits_beyond_the_shards(self) -> None:
        """An error line for the entries a run with more shards left on shards this one
        has not (SWITCHBOARD_SHARDS lowered): nothing reads them, nor counts them."""
        shards = self.settings.shards
        for stream in (self.inbound_log, self.outbox):
            left = await stream.beyond(MAX_SHARDS)
            if left:
                log.error(
                    "%d %s entries wait on shards %d to %d, past SWITCHBOARD_SHARDS=%d (a run "
                    "with more shards queued them) and no worker reads them: set "
                    "SWITCHBOARD_SHARDS to %d or more until they are worked",
                    sum(left.values()),
                    stream.kind,
                    min(left),
                    max(left),
                    shards,
                    max(left) + 1,
                )

    async def stop(self) -> None:
        """Drain: finish the batches in hand, deliver what is in flight, then let go (REL-6)."""
        self._stopping.set()
        self.sender.stop_starting()
        if self._supervisor:
            self.couriers.stop()
            # Its round of leases waits on Redis: a stalled one must not hold the stop.
            await settle([self._supervisor], grace=STEP_SECONDS)
            # No send starts now; one under way has its API call's time to finish.
            await settle(self.workers.tasks, grace=CALL_SECONDS + 5)
            await self.sender.settled(grace=RECORDS_SECONDS)
            if self._couriers:
                await settle([self._couriers], grace=self.settings.delivery.timeout + 10)
            # The flows' hand-offs wait for the team chat's turn, as its answers do.
            await self.pipeline.guided.settled(grace=10)
        if self._telegram:
            await settle([self._telegram], grace=10)
        if self.team_chat:
            await self.team_chat.drain(grace=5)
        if self._scheduler:
            await settle([self._scheduler], grace=SCHEDULER_SECONDS)
        for task in [*self._background, *([self._adopting] if self._adopting else [])]:
            task.cancel()
            await settle([task], grace=5)
        if not self.settings.redis_url:
            await self._say_what_the_embedded_store_loses()
        with contextlib.suppress(TimeoutError):  # a stalled store: the leases lapse
            async with asyncio.timeout(STEP_SECONDS):
                await self.workers.release_all()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STEP_SECONDS):
                await self.web_hub.close_all()
        await self.close()

    async def _say_what_the_embedded_store_loses(self) -> None:
        """The embedded store lives in this process: what the drain left (a slow service's
        queue, sends waiting for their pace) goes with it, and the log says how much."""
        notifications = self.notification_store
        try:
            services = {*self.couriers.services(), *await self.services.detached_somewhere()}
            depths = await self.deliveries.depths(sorted(services))
            inbound, outbox = await self.inbound_log.backlog(), await self.outbox.backlog()
            dead = sum(letters for _, letters in depths.values())
            dead += await self.inbound_log.dead_letter_count()
            dead += await self.outbox.dead_letter_count()
            runs = await notifications.scheduled_count() + await notifications.set_aside_count()
        except Exception:  # nothing to say it with
            return
        events = sum(queued for queued, _ in depths.values())
        if inbound or outbox or events or dead or runs:
            log.warning(
                "the embedded store keeps nothing past this process: %d messages not yet "
                "worked, %d sends not yet sent, %d events not yet delivered to services, "
                "%d dead letters and %d notification runs still to come are lost (with "
                "REDIS_URL they wait for the next start)",
                inbound,
                outbox,
                events,
                dead,
                runs,
            )

    async def close(self) -> None:
        """Let go of the HTTP sessions and the store; for a runtime that was never started too."""
        await self.channels.close()
        await self._session.close()
        await self._downloads.close()
        await self._posts.close()
        await self._calls.close()
        await self.store.close()
