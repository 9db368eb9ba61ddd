"""PS-8 as a property: whatever the interleaving of two processes stitching at once, the
identities that sightings tie together end in ONE profile, and nothing else joins it."""

from __future__ import annotations

import asyncio
import os
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.model import Identity
from stores.profiles import ProfileStore, Sighting
from stores.redis import Keys
from tests.conftest import REDIS_URL

UNIVERSE = [
    Identity("wa", "447700900001"),
    Identity("phone", "+447700900001"),
    Identity("tg", "1001"),
    Identity("email", "a@example.com"),
    Identity("vid", "v-1"),
    Identity("email", "b@example.com"),
    Identity("tg", "1002"),
]

sighting = st.tuples(
    st.lists(st.sampled_from(UNIVERSE), min_size=1, max_size=3, unique=True),
    st.integers(min_value=0, max_value=3),  # yields before it runs: the interleaving
    st.integers(min_value=0, max_value=5),  # its timestamp: who is oldest
)
process = st.lists(sighting, min_size=1, max_size=6)


def components(groups: list[list[Identity]]) -> list[set[Identity]]:
    parent = {i: i for group in groups for i in group}

    def find(i: Identity) -> Identity:
        while parent[i] != i:
            i = parent[i]
        return i

    for group in groups:
        for other in group[1:]:
            parent[find(other)] = find(group[0])
    found: dict[Identity, set[Identity]] = {}
    for identity in parent:
        found.setdefault(find(identity), set()).add(identity)
    return list(found.values())


async def run_process(
    store: ProfileStore, sightings: list[tuple[list[Identity], int, int]], batched: bool
) -> None:
    if batched:
        await asyncio.sleep(0)
        await store.resolve_many(
            [Sighting(tuple(ids), "x", "", 1000.0 + at) for ids, _, at in sightings]
        )
        return
    for ids, yields, at in sightings:
        for _ in range(yields):
            await asyncio.sleep(0)
        await store.resolve_many([Sighting(tuple(ids), "x", "", 1000.0 + at)])


async def stitch_and_check(
    first: list[tuple[list[Identity], int, int]],
    second: list[tuple[list[Identity], int, int]],
    batched: bool,
) -> None:
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    clients = [Redis.from_url(REDIS_URL, decode_responses=True) for _ in range(2)]
    try:
        stores = [ProfileStore(client, Keys(prefix)) for client in clients]
        await asyncio.gather(
            run_process(stores[0], first, batched), run_process(stores[1], second, False)
        )
        roots = {}
        for group in components([ids for ids, _, _ in first + second]):
            found = {await stores[0].lookup(identity) for identity in group}
            assert len(found) == 1 and "" not in found, (group, found)
            roots[found.pop()] = group
            held = set((await stores[0].get(next(iter(roots))))["identities"])
            assert held
        assert len(roots) == len(components([ids for ids, _, _ in first + second]))
        for root, group in roots.items():
            assert set((await stores[0].get(root))["identities"]) == {i.key for i in group}
    finally:
        keys = [k async for k in clients[0].scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await clients[0].delete(*keys)
        for client in clients:
            await client.aclose()


# STITCH_EXAMPLES=5000 for a longer hunt than CI's.
@settings(
    max_examples=int(os.environ.get("STITCH_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(first=process, second=process, batched=st.booleans())
def test_two_processes_always_end_with_one_profile_per_person(
    first: list[tuple[list[Identity], int, int]],
    second: list[tuple[list[Identity], int, int]],
    batched: bool,
) -> None:
    asyncio.run(stitch_and_check(first, second, batched))
