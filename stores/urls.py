"""What redis-py reads in a REDIS_URL, checked before any client is built."""

from __future__ import annotations

from redis.asyncio.connection import parse_url

from stores.cluster import cluster_node_url


def check_redis_url(url: str) -> None:
    """ValueError, in redis-py's words, when it cannot read a part of ``url`` (``?db=x``).

    redis-py reads a URL only as it builds the client, so its error came as a traceback;
    checked with the settings, it is one line that names REDIS_URL."""
    parse_url(cluster_node_url(url) or url)
