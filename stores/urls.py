"""What redis-py reads in a REDIS_URL, checked before any client is built."""

from __future__ import annotations

import inspect
from urllib.parse import urlsplit

from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    ConnectionPool,
    SSLConnection,
    UnixDomainSocketConnection,
    parse_url,
)

from stores.cluster import cluster_node_url

_IN_THE_URL = frozenset({"host", "port", "db", "username", "password", "path"})
"""What parse_url reads from the URL itself, not from its query."""


def _parameters(*callables: object) -> frozenset[str]:
    return frozenset(
        name
        for function in callables
        for name, parameter in inspect.signature(function).parameters.items()  # type: ignore[arg-type]
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD and name != "self"
    )


_OPTIONS = {
    "redis": _parameters(ConnectionPool.__init__, AbstractConnection.__init__, Connection.__init__),
    "unix": _parameters(
        ConnectionPool.__init__,
        AbstractConnection.__init__,
        UnixDomainSocketConnection.__init__,
    ),
}
_OPTIONS["rediss"] = _OPTIONS["redis"] | _parameters(SSLConnection.__init__)
_CLUSTER_OPTIONS = _OPTIONS["rediss"] | _parameters(RedisCluster.__init__)
"""The options of a URL's query each kind of client takes: redis-py hands each to its
pool, then to its connection class, which refuses one it does not know."""


def check_redis_url(url: str) -> None:
    """ValueError, in redis-py's words, when it cannot read a part of ``url`` (``?db=x``),
    or naming an option of its query that redis-py takes nowhere (``?foo=bar``).

    redis-py reads a URL only as it builds the client, and a connection only as it makes
    the first: their errors came as tracebacks; checked with the settings, each is one
    line that names REDIS_URL."""
    node_url = cluster_node_url(url)
    options = parse_url(node_url or url)
    known = _CLUSTER_OPTIONS if node_url else _OPTIONS.get(urlsplit(url).scheme, frozenset())
    for option in options:
        if option not in _IN_THE_URL and option not in known:
            raise ValueError(f"takes no option {option!r}")
    if node_url and int(options.get("db") or 0) != 0:
        raise ValueError("a Redis Cluster has database 0 alone: leave the /N off")
