"""Regression: two merges of one pair of profiles the opposite ways, at once, pointed each
profile at the other, a loop no reader could follow: both looked erased, so the next
sighting took their identities over for a third profile, and ``merge`` raised
``LookupError``. It happened on a Redis Cluster when 40 resolutions of one new customer
ran at once: one new profile folding into the other (which it lost a claim to) while a
third sighting merged the two the other way (the older survives). Each merge absorbs the
loser, then points it at the survivor; the pointing now refuses to point the older one
at a profile it has absorbed already, so the merge the older survives goes on alone."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.model import Identity
from stores.profile_scripts import ABSORB, POINT
from stores.profiles import ProfileStore
from stores.redis import Keys


async def test_opposite_merges_of_one_pair_end_as_one_profile(store: Redis, prefix: str) -> None:
    graph = ProfileStore(store, Keys(prefix))
    phone, wa = Identity("phone", "+447700900123"), Identity("wa", "447700900123")
    older = await graph.resolve([phone], channel="sms", at=1000)
    newer = await graph.resolve([wa], channel="whatsapp", at=2000)
    # The steps of _merge_pair(older, newer) and of _merge_pair(newer, older), interleaved:
    # each survivor absorbs the other, then each loser is pointed at its survivor.
    for survivor, loser, identity in ((older, newer, wa), (newer, older, phone)):
        args = graph._absorb_args({}, [identity], loser)
        assert (await ABSORB(store, [graph._h(survivor)], args))[0] == "ok"
    first = await POINT(store, [graph._h(newer)], [older, "3000.0"])
    second = await POINT(store, [graph._h(older)], [newer, "3000.0"])
    assert first[0] == "ok" and second[0] == "merged"
    assert await graph.root(older) == older and await graph.root(newer) == older
    assert await graph.merge(older, newer) is None
