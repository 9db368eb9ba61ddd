"""One read for every shard a process holds: the inbound entries of all its shards come in
one blocking read, each shard's batch done is acknowledged in the same round trip, and
the work gets the whole batch at once. Each shard keeps its order, its redo and its
handover; on a Redis Cluster each shard is read apart.

Each test runs on the real Redis and on the embedded store (``store``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import fakeredis
import pytest
from redis.asyncio import Redis

from bot.core import workers as workers_module
from bot.core.metrics import Meters
from bot.core.workers import ShardWorkers, settle
from stores.leases import Leases
from stores.redis import Keys, connect
from stores.streams import GROUP, Entry, ShardedStream

SHARDS = 4


class Recorder:
    """The work: records each call's documents; an entry may be held or made to fail."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.worked: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.held = asyncio.Event()
        """Set while a call waits on ``gate`` (an entry ``<shard>-hold`` is in it)."""
        self.failing: set[str] = set()
        self._changed = asyncio.Condition()

    async def __call__(self, entries: list[Entry]) -> None:
        documents = [entry.data for entry in entries]
        self.calls.append(documents)
        if any(d.endswith("-hold") for d in documents) and not self.gate.is_set():
            self.held.set()
            await self.gate.wait()
        if self.failing.intersection(documents):
            raise ValueError(f"cannot work {sorted(self.failing.intersection(documents))}")
        async with self._changed:
            self.worked.extend(documents)
            self._changed.notify_all()

    async def wait_for(self, test: Callable[[], bool], timeout: float = 10) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(test)

    async def wait_worked(self, *documents: str) -> None:
        await self.wait_for(lambda: set(documents) <= set(self.worked))


def shard_of(document: str) -> int:
    return int(document.split("-")[0])


@contextlib.asynccontextmanager
async def running(
    store: Redis,
    prefix: str,
    work: Recorder,
    holder: str = "worker-a",
    holding: int = SHARDS,
) -> AsyncIterator[tuple[ShardWorkers, ShardedStream]]:
    """Shard workers, once they hold ``holding`` shards, until the block ends."""
    keys = Keys(prefix)
    stream = ShardedStream(store, keys, SHARDS, "inbound")
    await stream.ensure_groups()
    workers = ShardWorkers(
        [(stream, work)],
        Leases(store, keys, holder),
        holder,
        SHARDS,
        Meters(),
        read_together=("inbound",),
    )
    stopping = asyncio.Event()
    supervisor = asyncio.create_task(workers.supervise(stopping))
    try:
        async with asyncio.timeout(10):
            while len(workers.tasks) < holding:  # noqa: ASYNC110 (polls the supervisor)
                await asyncio.sleep(0.02)
        yield workers, stream
    finally:
        stopping.set()
        await supervisor
        await settle(workers.tasks, grace=5)
        await workers.release_all()


async def undelivered(store: Redis, stream: ShardedStream, shard: int) -> int:
    """Entries of ``shard`` no consumer has read yet."""
    pending = await store.xpending(stream.key(shard), GROUP)
    return int(await store.xlen(stream.key(shard))) - int(pending["pending"])


@pytest.fixture
async def client(store: Redis, redis_url: str) -> AsyncIterator[Redis]:
    """The store, through a client made as the runtime makes it: its blocking reads wait
    longer than a test client's socket timeout."""
    if isinstance(store, fakeredis.FakeAsyncRedis):
        yield store
        return
    redis = connect(redis_url)
    yield redis
    await redis.aclose()


@pytest.fixture
def several_processes(store: Redis) -> None:
    """The embedded store serves one process: no other takes its shards over. (There, a
    read ended early goes on inside the store until its wait ends.)"""
    if isinstance(store, fakeredis.FakeAsyncRedis):
        pytest.skip("the embedded store serves one process")


@pytest.fixture
def together(store: Redis) -> None:
    if not ShardedStream(store, Keys("unused:"), 1, "inbound").reads_together:
        pytest.skip("a cluster reads each shard apart")


@pytest.mark.usefixtures("together")
async def test_the_entries_of_several_shards_are_worked_in_one_call(
    client: Redis, prefix: str
) -> None:
    work = Recorder()
    work.gate.clear()
    async with running(client, prefix, work) as (_, stream):
        await stream.append(0, "0-hold")
        async with asyncio.timeout(10):
            await work.held.wait()
        documents = ["1-a", "2-a", "0-b", "3-a", "1-b", "0-c"]
        for document in documents:
            await stream.append(shard_of(document), document)
        work.gate.set()
        await work.wait_for(lambda: len(work.worked) == 1 + len(documents))
    (call,) = [call for call in work.calls if "0-b" in call]
    assert sorted(call) == sorted(documents)  # one call: every shard's entries at once
    for shard in range(SHARDS):  # each shard's in its log order
        mine = [d for d in documents if shard_of(d) == shard]
        assert [d for d in call if shard_of(d) == shard] == mine
    assert await stream.backlog() == 0  # every one acknowledged and dropped


@pytest.mark.usefixtures("together")
async def test_a_failing_entry_holds_up_its_own_shard_only(
    client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers_module, "REDO_SECONDS", 0.1)
    monkeypatch.setattr(workers_module, "ENTRY_ATTEMPTS", 1000)
    work = Recorder()
    work.failing.add("0-bad")
    async with running(client, prefix, work) as (_, stream):
        for document in ["0-bad", "0-after", "1-a", "2-a"]:
            await stream.append(shard_of(document), document)
        await work.wait_worked("1-a", "2-a")
        # Shard 0 is being redone apart; the other shards' new entries are read meanwhile.
        for round_ in range(3):
            await stream.append(1, f"1-later-{round_}")
            await work.wait_worked(f"1-later-{round_}")
            assert "0-after" not in work.worked  # behind its shard's failing entry
        work.failing.clear()  # the failure passes: shard 0 goes on, in its order
        await work.wait_worked("0-after")
        assert [d for d in work.worked if d.startswith("0-")] == ["0-bad", "0-after"]
        await stream.append(0, "0-next")  # and is read with the others again
        await work.wait_worked("0-next")
    assert await stream.backlog() == 0


@pytest.mark.usefixtures("together")
async def test_an_entry_failing_every_attempt_is_set_aside_and_its_shard_goes_on(
    client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers_module, "REDO_SECONDS", 0.05)
    work = Recorder()
    work.failing.add("2-poison")
    async with running(client, prefix, work) as (_, stream):
        for document in ["2-poison", "2-after", "3-a"]:
            await stream.append(shard_of(document), document)
        await work.wait_worked("2-after", "3-a")
    (letter,) = await stream.dead_letters()
    assert (letter.shard, letter.data, letter.attempts) == (
        2,
        "2-poison",
        workers_module.ENTRY_ATTEMPTS,
    )
    assert await stream.backlog() == 0


@pytest.mark.usefixtures("together")
async def test_a_shard_handed_over_mid_batch_acknowledges_it_then_lets_go(
    client: Redis, prefix: str
) -> None:
    work = Recorder()
    work.gate.clear()
    async with running(client, prefix, work) as (workers, stream):
        await stream.append(1, "1-hold")
        async with asyncio.timeout(10):
            await work.held.wait()
        task = workers._tasks[1]
        workers._handovers[1].set()  # as the supervisor does when another process joins
        work.gate.set()
        async with asyncio.timeout(5):
            await asyncio.wait([task])
        assert task.exception() is None
        assert await client.xlen(stream.key(1)) == 0  # its batch done was acknowledged
        await stream.append(2, "2-a")  # the other shards are still read
        await work.wait_worked("2-a")


@pytest.mark.usefixtures("together", "several_processes")
async def test_a_process_joining_takes_over_shards_from_a_waiting_read(
    client: Redis, prefix: str
) -> None:
    mine, theirs = Recorder(), Recorder()
    async with running(client, prefix, mine) as (workers, stream):
        await stream.append(3, "3-a")
        await mine.wait_worked("3-a")  # now the read waits
        # Well within a read's wait: the handover ends it, the other process takes over.
        async with (
            asyncio.timeout(workers_module.READ_BLOCK_MS / 1000 / 4),
            running(client, prefix, theirs, "worker-b", holding=SHARDS // 2) as (others, _),
        ):
            while len(workers.tasks) > SHARDS // 2:  # noqa: ASYNC110 (polls the supervisor)
                await asyncio.sleep(0.05)
            documents = [f"{shard}-b" for shard in range(SHARDS)]
            for document in documents:
                await stream.append(shard_of(document), document)
            await mine.wait_worked(*(f"{shard}-b" for shard in sorted(workers._tasks)))
            await theirs.wait_worked(*(f"{shard}-b" for shard in sorted(others._tasks)))
        assert not set(mine.worked) & set(theirs.worked)
        assert not set(workers._tasks) & set(others._tasks)


@pytest.mark.usefixtures("together", "several_processes")
async def test_a_lost_lease_stops_the_reading_of_its_shard(client: Redis, prefix: str) -> None:
    work = Recorder()
    async with running(client, prefix, work) as (workers, stream):
        await stream.append(2, "2-a")
        await work.wait_worked("2-a")  # now the read waits
        keys = Keys(prefix)
        await client.delete(keys.lease("shard:2"))  # it expired, and another took it
        assert await Leases(client, keys, "worker-b").acquire("shard:2", 60_000) is not None
        async with asyncio.timeout(10):
            await asyncio.wait([workers._tasks[2]])  # the supervisor ends it
        await stream.append(2, "2-b")
        await stream.append(1, "1-a")
        await work.wait_worked("1-a")  # read after 2-b was appended: 2-b is not read here
        assert "2-b" not in work.worked
        # Left for the shard's holder: unread, or taken by the read the loss ended.
        assert [fields["d"] for _, fields in await client.xrange(stream.key(2))] == ["2-b"]


async def test_on_a_cluster_each_shard_is_read_apart(
    client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ShardedStream, "reads_together", property(lambda self: False))
    work = Recorder()
    work.gate.clear()
    async with running(client, prefix, work) as (_, stream):
        await stream.append(0, "0-hold")
        async with asyncio.timeout(10):
            await work.held.wait()
        await stream.append(1, "1-a")  # worked while shard 0's batch is held
        await stream.append(2, "2-a")
        await work.wait_worked("1-a", "2-a")
        work.gate.set()
        await work.wait_worked("0-hold")
    assert all(len({shard_of(d) for d in call}) == 1 for call in work.calls)
