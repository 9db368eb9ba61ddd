"""The Redis Cluster client: named by a ``redis+cluster://`` URL, bounded and waiting as the
plain client's pool is, and failing as an unreachable Redis fails."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Iterator
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.asyncio.retry import Retry
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, SlotNotCoveredError
from redis.exceptions import TimeoutError as RedisTimeoutError

from stores.pipeline import Hook, Rider, riding, sending

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
"""URL schemes of a Redis Cluster, and the scheme of one of its nodes."""


def cluster_node_url(url: str) -> str | None:
    """The URL of the node to discover the cluster from, when ``url`` names a Redis Cluster
    (``redis+cluster://host:port``, or ``rediss+cluster://`` over TLS); None otherwise."""
    scheme, sep, rest = url.partition("://")
    node_scheme = CLUSTER_SCHEMES.get(scheme.lower())
    return f"{node_scheme}{sep}{rest}" if sep and node_scheme else None


def connect_cluster(
    node_url: str, max_connections: int, connect_timeout: float, retry: Retry
) -> Redis:
    """A Redis Cluster client, with the plain client's timeouts, retries and bound.

    The stores see it as a ``Redis``: it answers the same commands, and every key a script,
    a transaction or a blocking read touches together shares one hash tag (``Keys``).
    Its nodes' connections are redis-py's own, so ``RoundTrips`` counts none of them.
    """
    cluster = WaitingCluster.from_url(
        node_url,
        max_connections=max_connections,
        decode_responses=True,
        socket_timeout=None,
        socket_connect_timeout=connect_timeout,  # the URL's own wins
        socket_keepalive=True,
        health_check_interval=30,
        retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return cast(Redis, cluster)


class WaitingCluster(RedisCluster):
    """A cluster client whose callers wait for a free connection, as the plain client's
    bounded pool makes them, instead of failing once a node's connections are all in use
    (redis-py's ``MaxConnectionsError``: a burst of 600 commands lost 472 of them), and
    whose first commands wait until it knows the slots.

    At most ``max_connections`` commands and pipelines are in flight at once, so no node
    is ever asked for more connections than that.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = asyncio.Semaphore(self.connection_kwargs["max_connections"])

    async def initialize(self, *args: Any, **kwargs: Any) -> RedisCluster:
        with _unreachable_as_connection_error():
            return await super().initialize(*args, **kwargs)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        # redis-py picks a command's node before it learns the slots: the first commands
        # of a fresh client go to any node, whose MOVED answers make it start over and
        # drop connections in use, so that a command already done is sent again.
        with _unreachable_as_connection_error():
            if self._initialize:
                await self.initialize()
            async with self.in_flight:
                return await super().execute_command(*args, **kwargs)

    def pipeline(
        self, transaction: Any | None = None, shard_hint: Any | None = None
    ) -> ClusterPipeline:
        if shard_hint:
            raise RedisClusterException("shard_hint is deprecated in cluster mode")
        # redis-py declares an attribute its pipelines never set: they are not abstract.
        return _WaitingPipeline(self, transaction)  # type: ignore[abstract]


class _WaitingPipeline(ClusterPipeline):
    """A cluster pipeline that waits for its client's turn before it is sent, with the
    hooks of ``after_sent``."""

    cluster_client: WaitingCluster

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent_hooks: list[Hook] = []
        self.riders: list[Rider] = []

    async def execute(
        self, raise_on_error: bool = True, allow_redirections: bool = True
    ) -> list[Any]:
        hooks, self.sent_hooks = self.sent_hooks, []
        riders, self.riders = self.riders, []
        if riders:
            send = functools.partial(self._execute, allow_redirections=allow_redirections)
            sent = riding(self, riders, send, raise_on_error, self._commands)
            return await sending(hooks, sent)
        return await sending(hooks, self._execute(raise_on_error, allow_redirections))

    def _commands(self) -> list[Any]:
        queue: list[Any] = getattr(self._execution_strategy, "_command_queue", [])
        return [command.args for command in queue]

    async def _execute(self, raise_on_error: bool, allow_redirections: bool) -> list[Any]:
        with _unreachable_as_connection_error():
            async with self.cluster_client.in_flight:
                return await super().execute(raise_on_error, allow_redirections)

    async def reset(self) -> None:  # type: ignore[override]  # redis-py's own, not RESET
        self.sent_hooks = []  # nothing went: nothing to tell
        self.riders = []
        await super().reset()


_UNREACHABLE = (ConnectionError, TimeoutError, RedisConnectionError, RedisTimeoutError)
_UNCOVERED = "All slots are not covered"
"""How redis-py's topology refresh says that no node serves some slots (nodes back empty,
their slots not assigned yet), with no exception class of its own."""


@contextlib.contextmanager
def _unreachable_as_connection_error() -> Iterator[None]:
    """A cluster none of whose nodes answer, or with slots no node serves, raises what an
    unreachable Redis raises: a ``ConnectionError``, which callers know as the store's
    fault, where redis-py raises a ``RedisClusterException`` that is no ``RedisError``."""
    try:
        yield
    except RedisClusterException as error:
        if (
            isinstance(error, SlotNotCoveredError)
            or isinstance(error.__cause__, _UNREACHABLE)
            or str(error).startswith(_UNCOVERED)
        ):
            raise RedisConnectionError(f"Redis Cluster unreachable: {error}") from error
        raise
