"""The Redis connection and what every store shares (the client, batches, key names,
scripts), and the embedded in-process store used without REDIS_URL."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import hiredis
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import (
    AbstractConnection,
    BlockingConnectionPool,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
)
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import (
    ClusterDownError,
    InvalidResponse,
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.logs import Quiet
from bot.model import Identity
from stores.autopipe import AutoPipeline, JoiningPipeline
from stores.cluster import cluster_node_url, connect_cluster
from stores.pipeline import QuickRedis
from stores.pool import QuickPool

log = logging.getLogger(__name__)


Pipe: TypeAlias = Pipeline
"""Commands queued by several stores' ``queue_*`` methods and sent in one round trip."""
StoreError = RedisError
"""What a store raises when Redis cannot be reached or refuses a command."""
StoreTimeoutError = RedisTimeoutError
"""A ``StoreError``: Redis did not answer in time (paused, or its host stalled)."""


READY_PROBE_MS = 60_000
"""How long the key ``/readyz`` writes lives: no longer than a minute after its last probe."""


class StoreRefusesWrites(RedisError):
    """A ``StoreError``: Redis answers, and refuses to write (out of memory under
    ``maxmemory`` with no eviction, a read-only replica, a failing snapshot)."""


_STORE_FAULTS = (
    ConnectionError,  # the builtins, raised by the sockets
    TimeoutError,
    RedisConnectionError,  # and redis-py's, with their kin (loading, authentication)
    RedisTimeoutError,
    InvalidResponse,
    ClusterDownError,  # refusals that come from the server's state, whatever was asked
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    TryAgainError,
)
_STORE_REFUSAL_CODES = ("BUSY ", "MISCONF ", "LOADING ", "MASTERDOWN ", "UNBLOCKED ", "NOGROUP ")
"""And a blocked read cut off by its key moving to another node of a cluster (UNBLOCKED), or
a group gone with a Redis that came back empty (NOGROUP): the store's doing, the work's
to redo as it is."""

MAX_CONNECTIONS = 128
"""Per process: blocking stream reads hold one each (two per shard worked); the fan-out
reads every service's queue without blocking, one round trip at a time."""
BLOCKING_AT_MOST = 96
"""Of those, what the blocking stream reads of one process may hold: the shards it works
are bounded so that a quarter stay for the webhooks, the API and the rest of the work."""
CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection, the TLS handshake included, unless the URL's own
``socket_connect_timeout`` says otherwise: a ``rediss://`` URL naming a Redis without TLS
waits for a handshake answer that never comes. redis-py has had this default since 8.0
(before, none: the wait was for ever); set here, no change of the library's brings it back."""
RETRIES = 3
"""Tries again after a connection error (a server restarted, a connection cut) before the
caller sees it: within about a second, with jitter so that many callers do not reconnect
in step."""


def queue_publish(pipe: Pipe, channel: str, message: str) -> None:
    """PUBLISH on a pipeline the caller executes. Through ``execute_command``, because
    redis-py's cluster pipeline refuses its ``publish`` method, while the command itself
    is fine there: a cluster spreads a message to every node's subscribers."""
    pipe.execute_command("PUBLISH", channel, message)


def is_store_fault(error: BaseException) -> bool:
    """Whether ``error`` is the store's trouble rather than the work's: Redis unreachable
    or timing out, loading, out of memory, read-only, refusing this client, or busy.

    Work that failed so says nothing about what it was given, and is redone as it is.
    Any other refusal (a value that is not a float, a script's error) depends on what
    the command carried, as any other exception does.
    """
    if isinstance(error, _STORE_FAULTS):
        return True
    if not isinstance(error, ResponseError):
        return False
    # A pipeline names the command that failed before the server's answer.
    answer = str(error).rpartition("of pipeline caused error: ")[2].lstrip("('\"")
    return answer.startswith(_STORE_REFUSAL_CODES)


class RoundTrips:
    """Counts what this process sends to Redis: commands, and round trips (a pipeline is one)."""

    commands = 0
    round_trips = 0


class _Counting(AbstractConnection):
    """What ``CountingConnection`` adds to redis-py's connection, whatever its transport."""

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        RoundTrips.round_trips += 1
        await super().send_packed_command(command, check_health)

    async def send_command(self, *args: Any, **kwargs: Any) -> None:
        RoundTrips.commands += 1
        await super().send_command(*args, **kwargs)

    def pack_command(self, *args: Any) -> list[bytes]:
        """hiredis' packer (in C, about 7 times as fast as redis-py's, which runs in Python
        for asyncio clients) for arguments of the types it takes as they are: exactly str,
        bytes, int or float, formatted as redis-py formats them. Anything else (a bool,
        None, a subclass, a bytearray) goes to redis-py's, with its checks and errors."""
        name = args[0]
        if isinstance(name, (str, bytes)) and len(name.split()) > 1:  # "CLIENT SETINFO"
            args = (*name.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            return super().pack_command(*args)

    def pack_commands(self, commands: Any) -> list[bytes]:
        packed = [b"".join(self.pack_command(*command)) for command in commands]
        RoundTrips.commands += len(packed)
        return [b"".join(packed)]


class CountingConnection(_Counting, Connection):
    """A connection that counts its round trips, for ``/metrics`` and the benchmark (PERF-2)."""


class CountingSSLConnection(_Counting, SSLConnection):
    """``CountingConnection`` over TLS, for ``rediss://``."""


class CountingUnixConnection(_Counting, UnixDomainSocketConnection):
    """``CountingConnection`` over a Unix socket, for ``unix://``."""


_CONNECTIONS: dict[str, type[_Counting]] = {
    "rediss": CountingSSLConnection,
    "unix": CountingUnixConnection,
}
"""The connection of each scheme but ``redis://``: the pool takes the class given over the
one the URL names, so a ``rediss://`` URL given ``CountingConnection`` spoke in clear."""


def connect(url: str | None, shards: int = 8) -> Redis:
    """A client for ``url``, or an in-process Redis-compatible store when there is none
    (whose one process works all the ``shards``).

    ``redis+cluster://`` (or ``rediss+cluster://``) names one node of a Redis Cluster: the
    client discovers the others and sends each command to the node of its key's slot.
    """
    if url:
        node_url = cluster_node_url(url)
        if node_url is not None:
            return connect_cluster(node_url, MAX_CONNECTIONS, CONNECT_TIMEOUT, _retry())
        # A bounded pool that makes a caller wait for a free connection under load, where
        # the default pool fails the call once it is exhausted.
        # No per-read socket timeout: it costs an asyncio timeout context on every reply,
        # blocking reads bound themselves with BLOCK, and keepalive finds a dead peer. A
        # connect timeout, though: its context is paid once a connection.
        # A pooled connection may still be open to a Redis that has since restarted: its
        # first command fails with "Connection closed by server". Such a failure is retried
        # on a new connection, so a restart costs no caller a 503; a command that never
        # reached the server (the old one is gone) is safe to send again, and our writes
        # are idempotent where a redo could repeat them (REL-1, REL-3).
        scheme = urlsplit(url).scheme
        # TCP's keepalive finds a dead peer; a Unix socket has none to find.
        tcp: dict[str, Any] = {} if scheme == "unix" else {"socket_keepalive": True}
        pool = QuickPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=30,
            decode_responses=True,
            connection_class=_CONNECTIONS.get(scheme, CountingConnection),
            socket_timeout=None,
            socket_connect_timeout=CONNECT_TIMEOUT,  # the URL's own wins
            health_check_interval=30,
            retry=_retry(),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            **tcp,
        )
        client: Redis = QuickRedis.from_pool(pool)
        return client
    from stores.embedded import EmbeddedRedis

    log.warning("REDIS_URL is not set: using the embedded store; data lives in memory only")
    # Its one process works every shard, and each shard's two blocking reads hold a
    # connection: room for them and for the requests, which wait for a free one under a
    # burst rather than fail (redis-py's default pool fails the 101st).
    embedded: Redis = EmbeddedRedis(
        decode_responses=True,
        connection_pool_class=BlockingConnectionPool,
        max_connections=2 * shards + MAX_CONNECTIONS,
    )
    return embedded


def _retry() -> Retry:
    return Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), RETRIES)


class _Batch:
    """``StoreClient.batch``'s block: a class rather than a generator, as it runs on
    every round trip (a few microseconds less each)."""

    __slots__ = ("pipe",)

    def __init__(self, pipe: Pipe) -> None:
        self.pipe = pipe

    async def __aenter__(self) -> Pipe:
        return self.pipe

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> None:
        try:
            if kind is None:
                await self.pipe.execute()
        finally:
            await self.pipe.reset()


class StoreClient:
    """The client the stores of a process share, for what is no one store's: batches of
    several stores' commands sent in one round trip, readiness, and closing.

    Its pipelines join the others sent in the same turn of the event loop: the work of
    several shards, sends and conversations in one round trip, each with its own answers
    and errors (``stores/autopipe.py``)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.together = AutoPipeline(redis)

    def batch(self) -> _Batch:
        """A pipeline for the stores' ``queue_*`` methods, sent in one round trip when the
        block ends; nothing is sent when the block raises."""
        return _Batch(self.together.pipeline())

    def round_trip(self) -> JoiningPipeline:
        """A pipeline whose answers the caller reads: it queues the stores' commands, then
        calls ``await pipe.execute()`` itself, once (``async with`` gives it back after)."""
        return self.together.pipeline()

    async def ping(self) -> None:
        """Raises when the store cannot be reached."""
        await self.redis.ping()

    async def writable(self, key: str) -> None:
        """Raises when the store cannot be reached, or refuses to write
        (``StoreRefusesWrites``): one short-lived ``key`` is written."""
        try:
            await self.redis.set(key, "1", px=READY_PROBE_MS)
        except ResponseError as error:
            raise StoreRefusesWrites(str(error)) from error

    async def cluster_node(self) -> bool:
        """Whether a client of one Redis reaches a node of a Redis Cluster, which answers
        only the keys of its slots (the others are MOVED)."""
        if isinstance(self.redis, RedisCluster) or not isinstance(self.redis, QuickRedis):
            return False
        try:
            found: dict[str, Any] = await self.redis.info("cluster")
        except ResponseError:  # a server that keeps INFO to itself (a managed Redis)
            return False
        return str(found.get("cluster_enabled", 0)) == "1"

    async def close(self) -> None:
        await self.redis.aclose()


@dataclass(frozen=True, slots=True)
class Keys:
    """Every key Switchboard writes, under one prefix.

    Keys of one conversation share the hash tag ``{c:<id>}``, of one profile ``{p:<id>}``,
    and of one stream shard ``{in:<n>}``, so scripts never cross a Redis Cluster slot.
    """

    prefix: str = "sb:"

    @property
    def ready(self) -> str:
        """What ``/readyz`` writes to learn that Redis takes writes; gone in a minute."""
        return f"{self.prefix}ready"

    def inbound(self, shard: int, part: str = "") -> str:
        """Inbound shard N's stream, or its ``attempts`` (entry id -> failed attempts)
        and ``dead`` (the dead letters), under its tag."""
        base = f"{self.prefix}{{in:{shard}}}"
        return f"{base}:{part}" if part else base

    def dedupe(self, shard: int, key: str) -> str:
        return f"{self.prefix}{{in:{shard}}}:dd:{key}"

    def outbox(self, shard: int, part: str = "") -> str:
        """Outbox shard N's stream, or its ``attempts`` and ``dead``, as ``inbound``."""
        base = f"{self.prefix}{{out:{shard}}}"
        return f"{base}:{part}" if part else base

    def conversation(self, conversation_id: str, part: str) -> str:
        return f"{self.prefix}{{c:{conversation_id}}}:{part}"

    def conversations(self, number: str) -> str:
        return f"{self.prefix}n:{number}:conversations"

    def profile(self, profile_id: str, part: str = "h") -> str:
        return f"{self.prefix}{{p:{profile_id}}}:{part}"

    def identity(self, identity: Identity) -> str:
        return f"{self.prefix}id:{identity.key}"

    def fanout(self, service: str, part: str = "") -> str:
        base = f"{self.prefix}{{fo:{service}}}"
        return f"{base}:{part}" if part else base

    def lease(self, name: str) -> str:
        return f"{self.prefix}{{lease:{name}}}"

    def lease_fence(self, name: str) -> str:
        """The fencing counter of a lease: one more at every grant, so the newest holder's
        token is the largest, under the lease's tag."""
        return f"{self.lease(name)}:fence"

    def lease_held(self, name: str) -> str:
        """Who was granted a lease last, until it lets go of it: present when the lease is
        free means that its last holder never did (it died, or was paused past it)."""
        return f"{self.lease(name)}:held"

    def poll_offset(self, lease: str) -> str:
        """The update offset of the poller holding ``lease`` (CH-3), under its tag."""
        return f"{self.lease(lease)}:offset"

    def secret(self, name: str) -> str:
        """A secret made once and shared, when the environment gives none."""
        return f"{self.prefix}secret:{name}"

    def team_roles(self) -> str:
        return f"{self.prefix}team:roles"

    def team_audit(self) -> str:
        return f"{self.prefix}team:audit"

    def team_post(self, post: str) -> str:
        """A team chat post (its provider id, ``<chat>:<message>``) -> its conversation."""
        return f"{self.prefix}team:post:{post}"

    def team_run(self, message: str) -> str:
        """A team chat message (its provider id) whose command or reply has run."""
        return f"{self.prefix}team:ran:{message}"

    def team_confirmed(self, digest: str) -> str:
        """A confirmation code that was used (the digest of who, what and the code)."""
        return f"{self.prefix}team:confirmed:{digest}"

    def team_chat_move(self, chat: str) -> str:
        """A group the team chat was, that became a supergroup -> the supergroup's id."""
        return f"{self.prefix}team:moved:{chat}"

    def web_channel(self, visitor: str) -> str:
        return f"{self.prefix}web:{visitor}"

    def rate(self, key: str) -> str:
        """The next free sending slot of a number or a bot (CH-6)."""
        return f"{self.prefix}rate:{key}"

    def visitor(self, vid: str, part: str) -> str:
        """A web visitor's ``events``, ``clicks`` or ``seen``, under the tag ``{v:<vid>}``."""
        return f"{self.prefix}{{v:{vid}}}:{part}"

    def suppression(self, digest: str) -> str:
        """When the identity with this SHA-256 digest was erased."""
        return f"{self.prefix}sup:{digest}"

    def claim_lapses(self) -> str:
        return f"{self.prefix}claims:lapse"

    def costs(self, number: str, part: str) -> str:
        """A number's ``pending`` prices or its ``totals``, under the tag ``{cost:<n>}``."""
        return f"{self.prefix}{{cost:{number}}}:{part}"

    def service(self, name: str) -> str:
        return f"{self.prefix}svc:{name}"

    def service_token(self, digest: str) -> str:
        return f"{self.prefix}svc-token:{digest}"

    def attached(self, number: str) -> str:
        """The services attached to a number, in attach order."""
        return f"{self.prefix}{{num:{number}}}:services"

    def detached(self, number: str) -> str:
        """The services detached from a number since they were last attached to it: the
        config file's services are not attached there again at start."""
        return f"{self.prefix}{{num:{number}}}:detached"

    def attached_version(self, number: str) -> str:
        """A number's change counter: one more at every attach and detach there."""
        return f"{self.prefix}{{num:{number}}}:version"

    def services_configured(self) -> str:
        """The names of the services the config file defined at the last start."""
        return f"{self.prefix}svc-configured"

    def services_version(self) -> str:
        """The change counter of the service definitions: one more at every save."""
        return f"{self.prefix}svc-version"

    def numbers(self) -> str:
        return f"{self.prefix}numbers"

    def events(self, number: str) -> str:
        """A number's event log, for services catching up (``{ev:}`` for the events of
        every number, a profile's)."""
        return f"{self.prefix}{{ev:{number}}}"

    def event(self, number: str, event_id: str) -> str:
        """One event of a number's log, under its tag: its place in the log and its body,
        as ``<entry id> <body>`` (a hash of ``s`` and ``b`` for an event of the old
        layout)."""
        return f"{self.events(number)}:e:{event_id}"

    def idempotency(self, service: str, digest: str) -> str:
        """A service's request under an ``Idempotency-Key`` (its SHA-256 digest): the
        request's fingerprint, then its answer."""
        return f"{self.prefix}idem:{service}:{digest}"

    def idempotency_of(self, subject: str) -> str:
        """The answers kept under ``Idempotency-Key`` that name a profile or conversation
        (``subject``, its id), for its erasure to find."""
        return f"{self.prefix}idem:of:{subject}"

    def media(self, media_id: str, part: str) -> str:
        """An uploaded file's ``meta`` and ``data``, under the tag ``{md:<id>}``."""
        return f"{self.prefix}{{md:{media_id}}}:{part}"

    def activity_budget(self, window: int) -> str:
        """The bytes of web events kept in the Nth hour."""
        return f"{self.prefix}visitor:budget:{window}"

    def media_budget(self, pool: str, window: int) -> str:
        """The bytes of files ``pool`` kept in the Nth fixed window of its length."""
        return f"{self.prefix}media:budget:{pool}:{window}"

    def media_erased(self, ref: str) -> str:
        """A file an erased customer sent (``wa_…``, ``tg_…``, an upload's id): no more
        to be fetched, for good."""
        return f"{self.prefix}media:erased:{ref}"

    def notification(self, nid: str, part: str) -> str:
        return f"{self.prefix}{{ntf:{nid}}}:{part}"

    def notification_run(self, nid: str, run: int, part: str) -> str:
        return f"{self.prefix}{{ntf:{nid}}}:r:{run}:{part}"

    def notifications_due(self) -> str:
        return f"{self.prefix}ntf:due"

    def fanout_changed(self) -> str:
        """The channel on which news for the fan-out's couriers is announced (not a key):
        events queued by a process that delivers none, a service attached, detached or
        defined."""
        return f"{self.prefix}fo:changed"

    def notifications_changed(self) -> str:
        """The channel on which a run put on the schedule is announced (not a key)."""
        return f"{self.prefix}ntf:changed"

    def notifications_dead(self) -> str:
        """Runs set aside after failing every attempt, by when."""
        return f"{self.prefix}ntf:dead"

    def notification_drafts(self) -> str:
        """The drafts (reviewed or not) not yet sent or cancelled: an erasure looks in
        their audiences."""
        return f"{self.prefix}ntf:drafts"

    def notifications_of(self, number: str) -> str:
        return f"{self.prefix}ntf:n:{number}"

    def sequence(self, name: str, part: str) -> str:
        """A drip sequence's enrolments (``en``), due steps (``due``), counters (``m``) and
        claimed batches (``pend``), under its tag."""
        return f"{self.prefix}{{seq:{name}}}:{part}"

    def sequence_names(self) -> str:
        """The names of the drip sequences that ran here, those since removed from the
        configuration included: an erasure looks in each."""
        return f"{self.prefix}seq:names"


class Script:
    """A Lua script run by EVALSHA; by EVAL where the server lacks it (its first use, a
    server restarted), which keeps it there."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.digest = hashlib.sha1(source.encode()).hexdigest()
        """The SHA1 Redis names the script by, once loaded."""

    async def __call__(self, redis: Redis, keys: list[str], args: list[Any]) -> Any:
        # redis-py's register_script does this too, but it cannot be queued on a pipeline
        # without a round trip of its own; ours can, see ``queue``. Not SCRIPT LOAD, which
        # a cluster client sends to every node: one down would fail the script everywhere.
        from redis.exceptions import NoScriptError

        try:
            return await redis.evalsha(self.digest, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)

    def queue(self, pipe: Pipe, keys: list[str], args: list[Any]) -> None:
        """Queue the script on a pipeline; EVAL ships the source, so no load is needed."""
        pipe.eval(self.source, len(keys), *keys, *args)

    def queue_loaded(self, pipe: Pipe, keys: list[str], args: list[Any]) -> None:
        """Queue the script by its SHA1, for a caller that loads it and tries again when
        the answer is NoScriptError (a server restarted): the script did not run then.
        Through ``execute_command``: redis-py's cluster pipeline refuses its ``evalsha``."""
        pipe.execute_command("EVALSHA", self.digest, len(keys), *keys, *args)


LISTEN_QUIET_SECONDS = 10.0
"""A listener that cannot subscribe (the store is down) says so once in this many seconds."""


async def listen_channel(
    redis: Redis, channel: str, heard: Callable[[], None], ready: asyncio.Event
) -> None:
    """Call ``heard`` for every message on ``channel`` until cancelled; ``ready`` is set
    once subscribed. A message carries news, never data: what it announces is in Redis.
    When the connection is lost (Redis restarts), it subscribes again, and calls ``heard``
    once, for what was announced meanwhile."""
    quiet = Quiet(LISTEN_QUIET_SECONDS)
    while True:
        pubsub = None
        try:
            # A cluster client learns the slots with its first command, and its pub/sub
            # picks the node to listen on by them (any node hears every PUBLISH).
            await redis.ping()
            pubsub = redis.pubsub(ignore_subscribe_messages=True)
            await pubsub.subscribe(channel)
            if ready.is_set():
                heard()
            ready.set()
            while True:
                if await pubsub.get_message(timeout=1.0) is not None:
                    heard()
        except Exception as error:
            if (more := quiet.due(time.monotonic())) is not None:
                log.warning("listening on %s: %s; subscribing again%s", channel, error, more)
        finally:
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
        await asyncio.sleep(1.0)
