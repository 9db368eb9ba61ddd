"""Fixtures: a key prefix per test on the real Redis, the embedded store, and a running bot.

With ``SWITCHBOARD_TEST_REDIS=cluster`` the fixtures that reach Redis (``redis_url``,
``real_redis``, ``store``, ``make_bot``) use a local three-node Redis Cluster instead,
started once for the session (tests/rediscluster.py), reached by ``redis+cluster://``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import os
import secrets
import shutil
import signal
import uuid
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fakeredis
import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bench.procs import Child
from bot.config.automation import AutomationSettings, KeywordRule
from bot.config.settings import DeliverySettings, Settings, WhatsAppSettings
from bot.core import retry
from bot.model import Service
from bot.runtime import Runtime
from stores.cluster import cluster_node_url
from stores.redis import (
    CountingConnection,
    CountingSSLConnection,
    CountingUnixConnection,
    _Counting,
    connect,
)
from tests import rediscluster
from tests.botprocess import free_port
from tests.emulators import meta_webhooks
from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.sink import SubscriberSink

if TYPE_CHECKING:
    from tests.whatsapp_process import WhatsAppSetup

MAIN_PORT = 6379
REDIS_URL = f"redis://127.0.0.1:{MAIN_PORT}/0"
ON_CLUSTER = os.environ.get("SWITCHBOARD_TEST_REDIS", "") == "cluster"
"""The fixtures' Redis is a local Redis Cluster rather than the machine's Redis."""
PHONE_NUMBER_ID = "106540352242922"

AUTOMATION = AutomationSettings(
    welcome="Welcome! How can we help?",
    rules=(
        KeywordRule(reply="We open at 9.", keywords=("hours",), priority=5),
        KeywordRule(reply="Plans start at 9 a month.", keywords=("price",)),
    ),
)
FAST_DELIVERY = DeliverySettings(retry_base=0.05, retry_cap=0.5, timeout=2.0)


@contextlib.contextmanager
def paused(pid: int) -> Iterator[None]:
    """The process ``pid`` stopped (SIGSTOP: a stalled host) for the block, then let go on."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.fixture(autouse=True)
def _log_lines_unsaid() -> None:
    """Each test starts with the store's failure lines unsaid: one said by an earlier
    test is not kept quiet in the next."""
    retry._quiet.clear()


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex[:12]}:"


async def _drop_prefix(redis: Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
    for start in range(0, len(keys), 500):
        await redis.delete(*keys[start : start + 500])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL the bots of this session connect to: the machine's Redis, or with
    ``SWITCHBOARD_TEST_REDIS=cluster`` a local cluster started for the session."""
    if not ON_CLUSTER:
        yield REDIS_URL
        return
    with rediscluster.running_cluster() as cluster:
        yield cluster.url.replace("redis://", "redis+cluster://", 1)


def _client(url: str) -> Redis:
    """A test's own client of ``url``: a plain one, or a cluster's built as the runtime
    builds it (``stores.redis.connect``)."""
    if cluster_node_url(url) is not None:
        return connect(url)
    return Redis.from_url(url, decode_responses=True)


@pytest.fixture
async def real_redis(prefix: str, redis_url: str) -> AsyncIterator[Redis]:
    """The machine's Redis (or the session's cluster); only this test's keys are removed
    afterwards."""
    redis = _client(redis_url)
    yield redis
    await _drop_prefix(redis, prefix)
    await redis.aclose()


@pytest.fixture
async def whatsapp(prefix: str, real_redis: Redis) -> AsyncIterator[WhatsAppSetup]:
    """Emulators of the Graph API and of a service, and the settings of a bot process
    (``tests.botprocess.BotProcess``) pointing at them, under this test's prefix."""
    from tests.whatsapp_process import whatsapp_setup  # which imports this module

    async with whatsapp_setup(prefix) as setup:
        yield setup


@pytest.fixture
async def private_redis_server(tmp_path: Path) -> AsyncIterator[Child]:
    """A redis-server of this test's own, started (its ``url``, its ``pid``), stopped at the
    end: for a test that stops or pauses it."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = Child.redis_server(tmp_path, free_port())
    server.argv += ["--dir", str(tmp_path)]
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def private_redis(private_redis_server: Child) -> str:
    """The URL of a redis-server of this test's own, stopped at the end: for commandstats
    that count one bot alone, or a store to make refuse writes."""
    return private_redis_server.url


@pytest.fixture(params=["cluster"] if ON_CLUSTER else ["redis", "embedded"])
async def store(
    request: pytest.FixtureRequest, prefix: str, redis_url: str
) -> AsyncIterator[Redis]:
    """Each store test runs twice: on the real Redis and on the embedded default (once, on
    the cluster, with ``SWITCHBOARD_TEST_REDIS=cluster``)."""
    if request.param == "embedded":
        redis = fakeredis.FakeAsyncRedis(decode_responses=True)
    else:
        redis = _client(redis_url)
    yield redis
    await _drop_prefix(redis, prefix)
    await redis.aclose()


@dataclass
class Bot:
    """A running bot on the real Redis with its HTTP client, emulators and sinks."""

    runtime: Runtime
    client: TestClient[Any, Any]
    graph: GraphAPIEmulator | None
    sinks: dict[str, SubscriberSink]
    app_secret: str = ""
    verify_token: str = ""
    phone_number_id: str = PHONE_NUMBER_ID
    extra: dict[str, Any] = field(default_factory=dict)

    async def post_whatsapp(
        self, payload: dict[str, Any] | bytes, *, signature: str | None = None
    ) -> Any:
        raw = payload if isinstance(payload, bytes) else meta_webhooks.encode(payload)
        header = meta_webhooks.sign(self.app_secret, raw) if signature is None else signature
        headers = {"Content-Type": "application/json"}
        if header:
            headers["X-Hub-Signature-256"] = header
        body = io.BytesIO(raw) if len(raw) > 1024 * 1024 else raw
        return await self.client.post("/webhooks/whatsapp", data=body, headers=headers)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every accepted message is processed and its sends are done."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            backlog = await self.runtime.inbound_log.backlog() + await self.runtime.outbox.backlog()
            if backlog == 0:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("the bot did not finish its work in time")

    async def stop(self) -> None:
        if self.extra.get("stopped"):
            return
        self.extra["stopped"] = True
        await self.client.close()
        await self.runtime.stop()
        if self.graph:
            await self.graph.stop()
        for sink in self.sinks.values():
            await sink.stop()

    def conversation(self, wa_id: str) -> str:
        from bot.model import Identity, conversation_id

        return conversation_id(f"wa:{self.phone_number_id}", Identity("wa", wa_id))


BotFactory = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(prefix: str, real_redis: Redis, redis_url: str) -> AsyncIterator[BotFactory]:
    """Start bots on the real Redis under this test's prefix; stopped at the end."""
    started: list[Bot] = []

    async def factory(
        *,
        whatsapp: bool = True,
        services: tuple[str, ...] = ("support",),
        automation: AutomationSettings = AUTOMATION,
        delivery: DeliverySettings = FAST_DELIVERY,
        unreachable: tuple[str, ...] = (),
        automations: dict[str, dict[str, Any]] | None = None,
        port: int | None = None,
        whatsapp_rate: float = 80.0,
        **overrides: Any,
    ) -> Bot:
        """A bot with a sink per service; ``unreachable`` services point at a closed port."""
        graph = None
        wa_settings = None
        app_secret, verify_token = secrets.token_hex(16), secrets.token_hex(8)
        if whatsapp:
            token = secrets.token_hex(16)
            graph = GraphAPIEmulator(token)
            base = await graph.start()
            wa_settings = WhatsAppSettings(
                PHONE_NUMBER_ID, token, app_secret, verify_token, base, whatsapp_rate
            )
        sinks: dict[str, SubscriberSink] = {}
        configured = []
        for name in unreachable:
            dead_url = f"http://127.0.0.1:{free_port()}/hook"
            configured.append(Service(name, dead_url, secrets.token_hex(16)))
        for name in services:
            secret = secrets.token_hex(16)
            sink = SubscriberSink(secret)
            sinks[name] = sink
            own = (automations or {}).get(name)
            configured.append(Service(name, await sink.start(), secret, automation=own))
        settings = Settings(
            redis_url=redis_url,
            key_prefix=prefix,
            shards=4,
            whatsapp=wa_settings,
            services=tuple(configured),
            automation=automation,
            delivery=delivery,
        )
        settings = replace(settings, **overrides)
        runtime = Runtime(settings)  # connects the way the bot does, through stores.redis
        await runtime.start()
        client = TestClient(TestServer(runtime.http_app(), port=port))
        await client.start_server()
        bot = Bot(runtime, client, graph, sinks, app_secret, verify_token)
        started.append(bot)
        return bot

    yield factory
    for bot in started:
        await bot.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Collect what the tests left to the garbage collector before pytest's own last
    collection, which turns each ResourceWarning then into a failure of the whole run
    with no test to blame: a Redis client of a test's, its connection attempt to a port
    nobody listens on cut short as the test's loop closed. A leak found during a test
    still fails that test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


_CONNECTIONS: weakref.WeakSet[_Counting] = weakref.WeakSet()
"""Every Redis connection the runtime opened in this process, for the teardown hook below."""


def _tracking(kind: type[_Counting]) -> None:
    opened = kind.__init__

    def tracked(self: _Counting, *args: Any, **kwargs: Any) -> None:
        opened(self, *args, **kwargs)
        _CONNECTIONS.add(self)

    kind.__init__ = tracked  # type: ignore[method-assign]


for _kind in (CountingConnection, CountingSSLConnection, CountingUnixConnection):
    _tracking(_kind)


def _left_to_a_private_redis() -> bool:
    """A connection not yet collected, once its test's loop is closed, to a Redis other
    than the machine's: one the test started, stopped or paused itself, a cluster node it
    killed, or a port nobody listens on (a connection attempt cut short leaves its socket
    to the collector)."""
    return any(
        getattr(connection, "port", MAIN_PORT) != MAIN_PORT for connection in list(_CONNECTIONS)
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a test that stopped or paused a Redis of its own, and once its loop is closed:
    the connections to it that nothing could close are collected now, as that test's, not
    as a ResourceWarning that fails whichever later test the collector runs in. Whatever
    fixture or helper started that Redis, the open connections to it tell."""
    yield
    if {"private_redis_server", "private_redis"} & set(
        getattr(item, "fixturenames", ())
    ) or _left_to_a_private_redis():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        _CONNECTIONS.clear()  # those still held are some module's: not looked for again
