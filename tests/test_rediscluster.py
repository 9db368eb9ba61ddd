"""The local Redis Cluster of tests/rediscluster.py, used the way the stores use Redis."""

from __future__ import annotations

import hashlib
import os

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ClusterCrossSlotError, MovedError, RedisClusterException

from stores.redis import Keys, Script
from tests import rediscluster
from tests.rediscluster import LocalCluster, local_cluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes
redis_cluster = rediscluster.redis_cluster

# The shape of the stores' scripts: a guard key and a stream, in one conversation's slot.
INGEST = Script(
    """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
end
return false
"""
)
ECHO_KEYS = "return {KEYS[1], KEYS[2], ARGV[1]}"
KEYS = Keys("test:")


def tags_on_every_node(cluster: LocalCluster) -> dict[int, str]:
    """A hash tag per node: port -> a key prefix ``{tag}`` whose slot that node serves."""
    found: dict[int, str] = {}
    n = 0
    while len(found) < len(cluster.ports):
        tag = f"{{t{n}}}"
        found.setdefault(cluster.port_of(tag), tag)
        n += 1
    return found


async def test_hash_tags_spread_keys_over_the_nodes(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster
) -> None:
    cluster = redis_cluster_nodes
    tags = tags_on_every_node(cluster)
    assert len(set(tags)) == 3

    for port, tag in tags.items():
        key = f"{tag}:greeting"
        slot = await redis_cluster.cluster_keyslot(key)
        assert slot == cluster.keyslot(key) == cluster.keyslot(tag)
        owner = redis_cluster.get_node_from_key(key)
        assert owner is not None and owner.port == port
        assert await redis_cluster.set(key, f"hello from {port}") is True

    for port, tag in tags.items():
        key = f"{tag}:greeting"
        assert await redis_cluster.get(key) == f"hello from {port}"
        # The key lives on its node only; another node redirects.
        assert await cluster.node(port).get(key) == f"hello from {port}"
        other = next(p for p in cluster.ports if p != port)
        with pytest.raises(MovedError):
            await cluster.node(other).get(key)


async def test_pipeline_without_transaction_spans_slots_in_order(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster
) -> None:
    a, b, c = tags_on_every_node(redis_cluster_nodes).values()
    async with redis_cluster.pipeline(transaction=False) as pipe:
        pipe.set(f"{a}:n", "1")
        pipe.incr(f"{b}:n")
        pipe.hset(f"{c}:h", mapping={"f": "v"})
        pipe.get(f"{a}:n")
        pipe.incrby(f"{b}:n", 5)
        pipe.hgetall(f"{c}:h")
        pipe.xadd(KEYS.inbound(1), {"d": "x"})
        pipe.xlen(KEYS.inbound(1))
        results = await pipe.execute()
    assert results[:6] == [True, 1, 1, "1", 6, {"f": "v"}]
    assert isinstance(results[6], str)  # the entry id, decoded
    assert results[7] == 1


async def test_pipeline_splits_multi_key_commands_by_slot(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster
) -> None:
    # DEL/EXISTS/UNLINK/TOUCH on keys of several slots become one command per slot, each
    # with its own result: the results list gets longer than the list of queued calls.
    a, b, _ = tags_on_every_node(redis_cluster_nodes).values()
    async with redis_cluster.pipeline(transaction=False) as pipe:
        pipe.set(f"{a}:k", "1")
        pipe.set(f"{b}:k", "1")
        pipe.delete(f"{a}:k", f"{b}:k")
        pipe.get(f"{a}:k")
        assert await pipe.execute() == [True, True, 1, 1, None]
    # Outside a pipeline the client adds them up again.
    await redis_cluster.set(f"{a}:k", "1")
    await redis_cluster.set(f"{b}:k", "1")
    assert await redis_cluster.delete(f"{a}:k", f"{b}:k") == 2


async def test_transaction_works_in_one_slot_only(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster
) -> None:
    # The shape of the lease heartbeat: MULTI/EXEC on keys of one hash tag.
    key = KEYS.lease("members:g")
    async with redis_cluster.pipeline(transaction=True) as pipe:
        pipe.zadd(key, {"a": 1000, "b": 2000})
        pipe.zremrangebyscore(key, "-inf", 1500)
        pipe.zcard(key)
        pipe.pexpire(key, 10_000)
        pipe.set(f"{key}:fence", "1")
        assert await pipe.execute() == [2, 1, 1, True, True]

    a, b, _ = tags_on_every_node(redis_cluster_nodes).values()
    async with redis_cluster.pipeline(transaction=True) as pipe:
        pipe.set(f"{a}:x", "2")
        pipe.set(f"{b}:x", "2")
        with pytest.raises(RedisClusterException, match="same slot"):
            await pipe.execute()
    assert await redis_cluster.get(f"{a}:x") is None


async def test_eval_and_evalsha_on_one_hash_tag(redis_cluster: RedisCluster) -> None:
    keys = [KEYS.conversation("c1", "meta"), KEYS.conversation("c1", "log")]
    assert await redis_cluster.eval(ECHO_KEYS, 2, *keys, "arg") == [*keys, "arg"]

    sha = await redis_cluster.script_load(ECHO_KEYS)
    assert await redis_cluster.evalsha(sha, 2, *keys, "arg") == [*keys, "arg"]


async def test_eval_across_slots_is_refused(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster
) -> None:
    a, b, _ = tags_on_every_node(redis_cluster_nodes).values()
    keys = [f"{a}:k", f"{b}:k"]
    # The cluster client checks the slots itself and never sends the command.
    with pytest.raises(RedisClusterException, match="same key slot"):
        await redis_cluster.eval(ECHO_KEYS, 2, *keys, "arg")
    # The server refuses it too, even for two slots of one node: CROSSSLOT.
    port = redis_cluster_nodes.port_of(a)
    other = next(
        tag
        for tag in (f"{{s{n}}}" for n in range(10_000))
        if redis_cluster_nodes.port_of(tag) == port
        and redis_cluster_nodes.keyslot(tag) != redis_cluster_nodes.keyslot(a)
    )
    node = redis_cluster_nodes.node(port)
    with pytest.raises(ClusterCrossSlotError, match="same slot"):
        await node.eval(ECHO_KEYS, 2, f"{a}:k", f"{other}:k", "arg")


async def test_a_fresh_client_refuses_cross_slot_eval_too(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster
) -> None:
    # Before it has loaded the slot map, redis-py 8 sends the first command to a random
    # node without checking slots, so the server answers CROSSSLOT; later the client
    # refuses by itself. The two errors share no base class but Exception.
    fresh = redis_cluster_nodes.client()  # closed by the redis_cluster fixture
    a, b, _ = tags_on_every_node(redis_cluster_nodes).values()
    for _ in range(2):
        with pytest.raises((RedisClusterException, ClusterCrossSlotError)):
            await fresh.eval(ECHO_KEYS, 2, f"{a}:k", f"{b}:k", "arg")


async def test_script_runs_on_the_cluster_and_reloads_after_a_flush(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster
) -> None:
    script = Script(ECHO_KEYS + " -- direct")
    sha = hashlib.sha1(script.source.encode()).hexdigest()
    keys = [KEYS.profile("p1", "h"), KEYS.profile("p1", "ids")]
    assert await script(redis_cluster, keys, ["x"]) == [*keys, "x"]
    # Run by EVAL on the node that owns the keys, which keeps it for the next EVALSHA; not
    # loaded on every primary, which would fail while any one of them is down.
    owner = redis_cluster_nodes.port_of(keys[0])
    assert await redis_cluster_nodes.node(owner).script_exists(sha) == [True]
    await redis_cluster_nodes.node(owner).script_flush()
    assert await script(redis_cluster, keys, ["y"]) == [*keys, "y"]  # NOSCRIPT, reloaded

    stream, guard = KEYS.inbound(3), KEYS.dedupe(3, "wamid.1")
    entry = await INGEST(redis_cluster, [stream, guard], ['{"m": 1}', 60])
    assert isinstance(entry, str)
    assert await INGEST(redis_cluster, [stream, guard], ['{"m": 1}', 60]) is None
    assert await redis_cluster.xlen(stream) == 1


async def test_script_queued_on_a_cluster_pipeline(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster
) -> None:
    tags = list(tags_on_every_node(redis_cluster_nodes).values())
    script = Script(ECHO_KEYS + " -- queued")
    async with redis_cluster.pipeline(transaction=False) as pipe:
        for tag in tags:
            script.queue(pipe, [f"{tag}:a", f"{tag}:b"], [tag])
            pipe.set(f"{tag}:after", tag)
        for shard in range(3):
            INGEST.queue(pipe, [KEYS.inbound(shard), KEYS.dedupe(shard, "id")], ["{}", 60])
        results = await pipe.execute()
    expected: list[object] = []
    for tag in tags:
        expected += [[f"{tag}:a", f"{tag}:b", tag], True]
    assert len(results) == len(expected) + 3
    assert results[: len(expected)] == expected
    assert all(isinstance(entry, str) for entry in results[len(expected) :])

    a, b = tags[:2]
    async with redis_cluster.pipeline(transaction=False) as pipe:
        script.queue(pipe, [f"{a}:a", f"{b}:b"], ["x"])
        with pytest.raises(RedisClusterException, match="same key slot"):
            await pipe.execute()


async def test_local_cluster_starts_and_cleans_up() -> None:
    async with local_cluster() as cluster:
        client = cluster.client()
        assert await client.set("{x}:k", "v") is True
        assert await client.get("{x}:k") == "v"
        workdir = cluster.workdir
        pids = cluster.pids
        assert workdir.is_dir()
        assert sorted(cluster.slot_ranges) == sorted(cluster.ports)
    assert not workdir.exists()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
