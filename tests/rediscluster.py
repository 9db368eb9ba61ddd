"""A throwaway local Redis Cluster of three primaries, for tests that need cluster semantics.

Three ``redis-server`` processes with ``--cluster-enabled yes`` run in a temporary directory,
joined by ``redis-cli --cluster create``. Startup takes about two seconds, most of it the
server's own two-second delay before a fresh primary reports ``cluster_state:ok``, so share
one cluster per test module:

    # in a test module
    from redis.asyncio.cluster import RedisCluster

    from tests import rediscluster

    redis_cluster_nodes = rediscluster.redis_cluster_nodes  # the fixtures, bound here;
    redis_cluster = rediscluster.redis_cluster  # importing them by name trips ruff F811

    async def test_it(redis_cluster: RedisCluster) -> None:
        await redis_cluster.set("{a}:x", "1")

Fixtures: ``redis_cluster_nodes`` (module scope, sync) is the running :class:`LocalCluster`;
``redis_cluster`` (function scope, async) is an initialized ``RedisCluster`` client with
``decode_responses=True``, closed after the test, when every node is also flushed.

Outside pytest fixtures, ``async with local_cluster() as cluster:`` (or the synchronous
``with running_cluster() as cluster:``) starts and stops a private cluster.
A missing ``redis-server`` or ``redis-cli`` skips the test.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import inspect
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

HOST = "127.0.0.1"
SLOTS = 16384
BUS_OFFSET = 10000
"""A cluster node also listens on its port plus this, for the cluster bus."""
PORT_RANGE = (20000, 22767)
"""Node ports are drawn from here so that node and bus ports lie below Linux's ephemeral
range (32768 and up), where outgoing connections could take them at any moment."""

START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
NODE_TIMEOUT_MS = 1000

_live: set[LocalCluster] = set()


def binaries() -> tuple[str, str]:
    """The paths of ``redis-server`` and ``redis-cli``; skips the test when one is missing."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        missing = " and ".join(
            name for name, path in (("redis-server", server), ("redis-cli", cli)) if not path
        )
        pytest.skip(f"a local Redis Cluster needs {missing} on PATH")
    return server, cli


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def cluster_port(taken: set[int] | frozenset[int] = frozenset()) -> int:
    """A port that is free, whose bus port (plus 10000) is free too, and not in ``taken``."""
    for _ in range(1000):
        port = random.randint(*PORT_RANGE)
        if port in taken or port + BUS_OFFSET in taken:
            continue
        if _bindable(port) and _bindable(port + BUS_OFFSET):
            return port
    raise RuntimeError("no free pair of ports for a Redis Cluster node")


def _probe(port: int) -> SyncRedis:
    """A one-shot client for polling a node: no retries, since redis-py's default retries
    with backoff would spend seconds on a port that is not listening yet."""
    return SyncRedis(
        HOST,
        port,
        socket_timeout=1,
        socket_connect_timeout=1,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


class ClusterStartError(RuntimeError):
    """The cluster did not come up; the message carries the servers' logs."""


class _Node:
    """One ``redis-server`` process of the cluster."""

    def __init__(
        self, server: str, workdir: Path, port: int, node_timeout_ms: int = NODE_TIMEOUT_MS
    ) -> None:
        self.port = port
        self.log_path = workdir / f"redis-{port}.log"
        options = {
            "port": str(port),
            "bind": HOST,
            "cluster-enabled": "yes",
            "cluster-config-file": f"nodes-{port}.conf",
            "cluster-node-timeout": str(node_timeout_ms),
            "save": "",
            "appendonly": "no",
            "dir": str(workdir),
            "daemonize": "no",
            "loglevel": "notice",
        }
        argv = [server]
        for name, value in options.items():
            argv += [f"--{name}", value]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=workdir
            )

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def ping(self) -> bool:
        """Whether the server answers PING now; False while it is still starting."""
        try:
            with _probe(self.port) as redis:
                return bool(redis.ping())
        except Exception:
            return False

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()

    def reap(self, deadline: float) -> None:
        """Wait until the process is gone, killing it at ``deadline``."""
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class LocalCluster:
    """A running three-primary Redis Cluster on 127.0.0.1.

    ``ports`` are the nodes' client ports. ``client()`` builds a ``RedisCluster``
    (``decode_responses=True``) and ``node()`` a plain client of one node; both are closed
    by ``aclose_clients()``. ``stop()`` ends the servers and removes the directory.
    """

    host = HOST

    def __init__(
        self,
        workdir: tempfile.TemporaryDirectory[str],
        nodes: list[_Node],
        node_timeout_ms: int = NODE_TIMEOUT_MS,
    ) -> None:
        self._workdir = workdir
        self.node_timeout_ms = node_timeout_ms
        self._nodes = nodes
        self.workdir = Path(workdir.name)
        self.ports: tuple[int, ...] = tuple(node.port for node in nodes)
        self.slot_ranges: dict[int, list[tuple[int, int]]] = {}
        self._clients: list[RedisCluster | Redis] = []
        self._stopped = False

    # -- addressing -------------------------------------------------------------------

    @property
    def addresses(self) -> list[str]:
        return [f"{HOST}:{port}" for port in self.ports]

    @property
    def pids(self) -> list[int]:
        """The process ids of the servers."""
        return [node.process.pid for node in self._nodes]

    @property
    def url(self) -> str:
        """A URL of one node, for ``RedisCluster.from_url``."""
        return f"redis://{HOST}:{self.ports[0]}"

    def startup_nodes(self) -> list[ClusterNode]:
        """Fresh ``ClusterNode`` objects; a client closes its own, so never share them."""
        return [ClusterNode(HOST, port) for port in self.ports]

    @staticmethod
    def keyslot(key: str) -> int:
        """The hash slot of ``key``, computed the way the server does (hash tags included)."""
        return key_slot(key.encode())

    def port_of_slot(self, slot: int) -> int:
        """The port of the primary that serves ``slot``."""
        for port, ranges in self.slot_ranges.items():
            if any(start <= slot <= end for start, end in ranges):
                return port
        raise KeyError(slot)

    def port_of(self, key: str) -> int:
        """The port of the primary that serves ``key``."""
        return self.port_of_slot(self.keyslot(key))

    # -- clients ----------------------------------------------------------------------

    def client(self, **overrides: Any) -> RedisCluster:
        """A ``RedisCluster`` client of this cluster; closed by ``aclose_clients()``.

        ``socket_timeout`` is 5 s unless overridden: pass ``None`` for blocking reads
        (XREADGROUP BLOCK) longer than that, or they fail with ``TimeoutError``.
        """
        options: dict[str, Any] = {"decode_responses": True, "socket_timeout": 5.0}
        options.update(overrides)
        client = RedisCluster(startup_nodes=self.startup_nodes(), **options)
        self._clients.append(client)
        return client

    def node(self, port: int, **overrides: Any) -> Redis:
        """A plain (non-cluster) client of the node on ``port``; closed by ``aclose_clients()``."""
        options: dict[str, Any] = {"decode_responses": True, "socket_timeout": 5.0}
        options.update(overrides)
        client = Redis(host=HOST, port=port, **options)
        self._clients.append(client)
        return client

    async def aclose_clients(self) -> None:
        """Close every client made by ``client()`` and ``node()``; they belong to one loop."""
        clients, self._clients = self._clients, []
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def flushall(self) -> None:
        """Empty every node (scripts stay cached)."""
        for port in self.ports:
            async with Redis(host=HOST, port=port) as redis:
                await redis.flushall()

    # -- lifecycle --------------------------------------------------------------------

    def kill(self, port: int) -> None:
        """SIGKILL the node on ``port``, as a crash would; ``start_again`` brings it back."""
        node = next(node for node in self._nodes if node.port == port)
        node.process.kill()
        node.process.wait()

    def start_again(self, port: int) -> None:
        """Start the node on ``port`` again, from its cluster config file and with no data:
        it serves its slots again once it answers (blocking)."""
        index = next(i for i, node in enumerate(self._nodes) if node.port == port)
        server, _ = binaries()
        node = _Node(server, self.workdir, port, self.node_timeout_ms)
        self._nodes[index] = node
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready(port):
            if node.process.poll() is not None or time.monotonic() > deadline:
                raise ClusterStartError(f"node {port} did not come back\n{node.log()}")
            time.sleep(0.05)

    def logs(self) -> str:
        return "\n".join(f"--- redis-server {node.port} ---\n{node.log()}" for node in self._nodes)

    def stop(self) -> None:
        """SIGTERM every server, SIGKILL the ones still up after a few seconds, remove files.

        Idempotent. Clients are not closed here: that needs their event loop, see
        ``aclose_clients``.
        """
        if self._stopped:
            return
        self._stopped = True
        _live.discard(self)
        for node in self._nodes:
            node.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for node in self._nodes:
            node.reap(deadline)
        self._workdir.cleanup()

    def _start(self, cli: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        create = [cli, "--cluster", "create", *self.addresses]
        create += ["--cluster-replicas", "0", "--cluster-yes"]
        created = subprocess.run(
            create,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
        if created.returncode != 0:
            raise ClusterStartError(
                f"redis-cli --cluster create failed ({created.returncode}):\n"
                f"{created.stdout}{created.stderr}\n{self.logs()}"
            )
        pending = set(self.ports)
        while pending:
            for port in list(pending):
                if self._ready(port):
                    pending.discard(port)
            if not pending:
                break
            if time.monotonic() > deadline:
                raise ClusterStartError(f"nodes {sorted(pending)} never got ready\n{self.logs()}")
            time.sleep(0.05)
        self.slot_ranges = self._read_slots()

    def _ready(self, port: int) -> bool:
        """``cluster_state:ok`` with every slot served and every node known, on ``port``."""
        try:
            with _probe(port) as redis:
                info = redis.cluster("INFO")
        except Exception:
            return False
        return (
            info.get("cluster_state") == "ok"
            and int(info.get("cluster_slots_assigned", 0)) == SLOTS
            and int(info.get("cluster_slots_ok", 0)) == SLOTS
            and int(info.get("cluster_known_nodes", 0)) == len(self.ports)
        )

    def _read_slots(self) -> dict[int, list[tuple[int, int]]]:
        ranges: dict[int, list[tuple[int, int]]] = {port: [] for port in self.ports}
        with _probe(self.ports[0]) as redis:
            for start, end, primary, *_replicas in redis.execute_command("CLUSTER SLOTS"):
                ranges[int(primary[1])].append((int(start), int(end)))
        return ranges


def _launch(
    server: str, workdir: Path, taken: set[int], deadline: float, node_timeout_ms: int
) -> _Node:
    """Start one node on a fresh pair of ports; another pair if these are lost to a race."""
    last_log = ""
    while time.monotonic() < deadline:
        port = cluster_port(taken)
        taken.update((port, port + BUS_OFFSET))
        node = _Node(server, workdir, port, node_timeout_ms)
        while time.monotonic() < deadline and node.process.poll() is None:
            if node.ping():
                return node
            time.sleep(0.01)
        last_log = node.log()
        node.terminate()
        node.reap(time.monotonic() + STOP_TIMEOUT)
    raise ClusterStartError(f"redis-server would not start:\n{last_log}")


def start_cluster(nodes: int = 3, node_timeout_ms: int = NODE_TIMEOUT_MS) -> LocalCluster:
    """Start a cluster of ``nodes`` primaries and wait until it serves every slot (blocking).
    A node out of reach for ``node_timeout_ms`` fails its slots (the cluster is down).

    The caller must ``stop()`` it; on failure everything started is stopped here.
    """
    server, cli = binaries()
    workdir = tempfile.TemporaryDirectory(prefix="switchboard-cluster-")
    started: list[_Node] = []
    cluster = LocalCluster(workdir, started, node_timeout_ms)
    _live.add(cluster)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        taken: set[int] = set()
        for _ in range(nodes):
            started.append(_launch(server, cluster.workdir, taken, deadline, node_timeout_ms))
        cluster.ports = tuple(node.port for node in started)
        cluster._start(cli)
    except BaseException:
        cluster.stop()
        raise
    return cluster


@contextlib.contextmanager
def running_cluster(
    nodes: int = 3, node_timeout_ms: int = NODE_TIMEOUT_MS
) -> Iterator[LocalCluster]:
    """A cluster for the ``with`` block (synchronous; for sync fixtures and scripts)."""
    cluster = start_cluster(nodes, node_timeout_ms)
    try:
        yield cluster
    finally:
        cluster.stop()


@contextlib.asynccontextmanager
async def local_cluster(nodes: int = 3) -> AsyncIterator[LocalCluster]:
    """A cluster for the ``async with`` block; its clients are closed and servers stopped after.

    Startup and shutdown run in a worker thread, so the event loop keeps going meanwhile.
    """
    binaries()
    starting = asyncio.ensure_future(asyncio.to_thread(start_cluster, nodes))
    try:
        cluster = await asyncio.shield(starting)
    except asyncio.CancelledError:
        # The thread runs on regardless; stop what it starts once it is done.
        starting.add_done_callback(_stop_started)
        raise
    try:
        yield cluster
    finally:
        try:
            await cluster.aclose_clients()
        finally:
            await asyncio.to_thread(cluster.stop)


def _stop_started(task: asyncio.Future[LocalCluster]) -> None:
    if not task.cancelled() and task.exception() is None:
        task.result().stop()


@atexit.register
def _stop_leftovers() -> None:
    """Last resort for clusters whose owner never stopped them (an interrupted run)."""
    for cluster in list(_live):
        cluster.stop()


@pytest.fixture(scope="module")
def redis_cluster_nodes() -> Iterator[LocalCluster]:
    """One running cluster per test module (synchronous, so no event loop is shared).

    Clients a test makes with its ``client()`` or ``node()`` are closed by the
    ``redis_cluster`` fixture; a test that does not use it must ``aclose_clients()`` itself.
    """
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
async def redis_cluster(redis_cluster_nodes: LocalCluster) -> AsyncIterator[RedisCluster]:
    """An initialized ``RedisCluster`` client (``decode_responses=True``) of the module's cluster.

    Afterwards every client the test made through ``redis_cluster_nodes`` is closed and
    every node is flushed, so the next test starts empty.
    """
    client = redis_cluster_nodes.client()
    try:
        # Before it knows the slots a client sends its first command to a random node.
        await client.initialize()
        yield client
    finally:
        try:
            await redis_cluster_nodes.flushall()
        finally:
            await redis_cluster_nodes.aclose_clients()


def store_cases(suite: ModuleType) -> list[Callable[..., Awaitable[Any]]]:
    """The tests of a store suite that take only ``(store, prefix)``: they run again on a
    cluster, with the cluster client as the store."""
    return [
        getattr(suite, name)
        for name in dir(suite)
        if name.startswith("test_")
        and asyncio.iscoroutinefunction(getattr(suite, name))
        and list(inspect.signature(getattr(suite, name)).parameters) == ["store", "prefix"]
    ]
