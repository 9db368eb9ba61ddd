"""Store contracts: the profile store's reads and erasure steps, and the suppression
entries of erased identities, on the real Redis and on the embedded store alike.
Stitching itself is tests/test_stitching.py."""

from __future__ import annotations

from redis.asyncio import Redis, RedisCluster

from bot.model import Identity
from stores.profiles import ProfileStore, Sighting
from stores.redis import Keys
from stores.suppression import Suppression, digest

WA = Identity("wa", "447700900123")
PHONE = Identity("phone", "+447700900123")
EMAIL = Identity("email", "ann@example.com")


def graph(store: Redis, prefix: str) -> ProfileStore:
    return ProfileStore(store, Keys(prefix))


# --- Reads ------------------------------------------------------------------------------


async def test_owners_name_each_identitys_profile(store: Redis, prefix: str) -> None:
    profiles = graph(store, prefix)
    ann = await profiles.resolve([WA, PHONE], channel="whatsapp")
    assert await profiles.owners([PHONE, EMAIL, WA]) == [ann, None, ann]
    assert await profiles.owners([]) == []


async def test_roots_follow_merges_and_report_erasures(store: Redis, prefix: str) -> None:
    profiles = graph(store, prefix)
    older = await profiles.resolve([WA], channel="whatsapp", at=1000)
    newer = await profiles.resolve([EMAIL], channel="web", at=2000)
    await profiles.merge(older, newer)
    await profiles.suppress([PHONE], [], 3000.0)
    roots, erased = await profiles.roots_and_erasures({older, newer, "p_unknown"}, [PHONE])
    assert roots == {older: older, newer: older, "p_unknown": ""}
    assert erased == {PHONE: 3000.0}


async def test_name_is_the_profiles_own(store: Redis, prefix: str) -> None:
    profiles = graph(store, prefix)
    ann = await profiles.resolve([WA], channel="whatsapp", name="Ann", at=1000)
    nameless = await profiles.resolve([EMAIL], channel="web", at=2000)
    assert await profiles.name(ann) == "Ann"
    assert await profiles.name(nameless) == ""
    assert await profiles.name("p_unknown") == ""
    await profiles.update(ann, {"name": "Ann Lee"})
    assert await profiles.name(ann) == "Ann Lee"


async def test_name_follows_no_merge_pointer(store: Redis, prefix: str) -> None:
    profiles = graph(store, prefix)
    older = await profiles.resolve([WA], channel="whatsapp", at=1000)
    newer = await profiles.resolve([EMAIL], channel="web", name="Bea", at=2000)
    await profiles.merge(older, newer)
    # The survivor took the name it lacked; the merged profile still holds its own.
    assert await profiles.name(older) == "Bea"
    assert await profiles.name(newer) == "Bea"
    await profiles.update(older, {"name": "Bea Ray"})
    assert await profiles.name(newer) == "Bea"


# --- A known customer's owner, guessed -----------------------------------------------


async def test_a_known_customers_owners_and_roots_come_in_one_read(
    store: Redis, prefix: str
) -> None:
    profiles = graph(store, prefix)
    ann = await profiles.resolve([WA, PHONE], channel="whatsapp", at=1000)
    # The process that made the profile reads it beside the entries the next time.
    assert await profiles.owners_and_roots([PHONE, WA]) == ([ann, ann], {ann: ann}, {})
    elsewhere = graph(store, prefix)  # another process: it reads the entries first
    assert await elsewhere.owners_and_roots([PHONE, WA]) == ([ann, ann], None, {})
    assert await elsewhere.owners_and_roots([PHONE, WA]) == ([ann, ann], {ann: ann}, {})
    # An identity never seen here, with no entry: when it was erased is read beside it
    # (on a cluster, whose nodes keep no order between them, after it).
    on_cluster = isinstance(store, RedisCluster)
    assert await profiles.owners_and_roots([EMAIL, WA]) == (
        ([None, ann], None, {}) if on_cluster else ([None, ann], {ann: ann}, {})
    )
    # A merge a crash cut short left the entries behind: the pointer is followed.
    bea = await profiles.resolve([EMAIL], channel="web", at=500)
    await store.hset(Keys(prefix).profile(ann), "merged_into", bea)
    assert await profiles.owners_and_roots([WA]) == ([ann], {ann: bea, bea: bea}, {})
    assert await profiles.owners_and_roots([]) == ([], {}, {})


async def test_a_new_identity_is_checked_for_an_erasure_with_its_entry(
    store: Redis, prefix: str
) -> None:
    profiles = graph(store, prefix)
    ann = await profiles.resolve([WA, PHONE], channel="whatsapp", at=1000)
    await profiles.suppress([WA, PHONE], [ann], 5000.0)
    await profiles.mark_erased([ann], 5000.0)
    fresh = graph(store, prefix)  # a process that never saw her: no guess
    owners, roots, erased = await fresh.owners_and_roots([WA, PHONE])
    assert owners == [None, None]
    if isinstance(store, RedisCluster):
        assert (roots, erased) == (None, {})  # left to roots_and_erasures
    else:
        assert (roots, erased) == ({}, {WA: 5000.0, PHONE: 5000.0})
    # Either way, a replay from before the erasure is dropped, one from after is new.
    (replay,) = await fresh.resolve_many([Sighting((WA, PHONE), "whatsapp", "", 4000.0)])
    assert replay.suppressed and not replay.profile
    (later,) = await fresh.resolve_many([Sighting((WA, PHONE), "whatsapp", "", 6000.0)])
    assert later.created and later.profile != ann


async def test_a_guess_another_process_made_stale_is_never_the_answer(
    store: Redis, prefix: str
) -> None:
    """This process saw Ann at ``ann``; another one merged her, erased her, and a new
    customer took her number: every later sighting here finds what is true now."""
    here, there = graph(store, prefix), graph(store, prefix)
    ann = await here.resolve([WA], channel="whatsapp", at=1000)
    assert await here.owners_and_roots([WA]) == ([ann], {ann: ann}, {})
    bea = await there.resolve([EMAIL], channel="web", at=500)
    await there.merge(bea, ann)  # the older survives, and takes Ann's number
    (seen,) = await here.resolve_many([Sighting((WA,), "whatsapp", "", 2000.0)])
    assert seen.profile == bea and not seen.created
    assert await here.owners_and_roots([WA]) == ([bea], {bea: bea}, {})

    await there.suppress([WA, EMAIL], [ann, bea], 5000.0)
    await there.mark_erased([ann, bea], 5000.0)
    (stale,) = await here.resolve_many([Sighting((WA,), "whatsapp", "", 4000.0)])
    assert stale.suppressed and not stale.profile

    cal = await there.resolve([WA], channel="whatsapp", at=6000)
    (later,) = await here.resolve_many([Sighting((WA,), "whatsapp", "", 7000.0)])
    assert later.profile == cal != ann and not later.created
    erased = await there.resolve([PHONE], channel="whatsapp", at=6000)
    await there.suppress([PHONE], [erased], 8000.0)
    await there.mark_erased([erased], 8000.0)
    # Never seen here: when it was erased comes with its entry (after it, on a cluster).
    assert await here.owners_and_roots([PHONE]) == (
        ([None], None, {}) if isinstance(store, RedisCluster) else ([None], {}, {PHONE: 8000.0})
    )


# --- Erasure ----------------------------------------------------------------------------


async def test_suppress_forgets_the_identities_and_drops_stale_sightings(
    store: Redis, prefix: str
) -> None:
    profiles = graph(store, prefix)
    ann = await profiles.resolve([WA, PHONE], channel="whatsapp", at=1000)
    await profiles.suppress([WA, PHONE], [ann], 5000.0)
    assert await profiles.lookup(WA) == "" and await profiles.lookup(PHONE) == ""
    assert await profiles.owners([WA, PHONE]) == [None, None]
    (stale,) = await profiles.resolve_many([Sighting((WA,), "whatsapp", "", 4000.0)])
    assert stale.suppressed and not stale.profile


async def test_suppress_leaves_an_entry_that_points_elsewhere(store: Redis, prefix: str) -> None:
    profiles = graph(store, prefix)
    ann = await profiles.resolve([WA], channel="whatsapp", at=1000)
    bob = await profiles.resolve([EMAIL], channel="web", at=1000)
    # Only entries still naming one of the erased profiles go: never undo a newer stitch.
    await profiles.suppress([WA, EMAIL], [ann], 5000.0)
    assert await profiles.owners([WA, EMAIL]) == [None, bob]


async def test_mark_erased_keeps_only_the_id_and_the_time(store: Redis, prefix: str) -> None:
    profiles = graph(store, prefix)
    older = await profiles.resolve([WA], channel="whatsapp", name="Ann", at=1000)
    newer = await profiles.resolve([EMAIL], channel="web", at=2000)
    await profiles.update(older, {"f:plan": "gold"})
    async with store.pipeline(transaction=False) as pipe:
        profiles.queue_conversation(pipe, older, "c_0001")
        profiles.queue_conversation(pipe, newer, "c_0002")
        await pipe.execute()
    assert await profiles.mark_erased([older, newer], 6000.0) == {"c_0001", "c_0002"}
    for profile_id in (older, newer):
        assert "c_0001" not in (await profiles.get(profile_id))["conversations"]
        stored = await profiles.get(profile_id)
        assert stored["id"] == profile_id and stored["erased_at"] == 6000.0
        assert stored["identities"] == [] and stored["fields"] == {}
        assert stored["refusals"] == [] and "name" not in stored
        assert await profiles.root(profile_id) == ""


# --- Suppression ------------------------------------------------------------------------


async def test_suppression_remembers_when_identities_were_erased(store: Redis, prefix: str) -> None:
    suppression = Suppression(store, Keys(prefix))
    assert await suppression.erased_at([WA, EMAIL]) == {}
    assert await suppression.erased_at([]) == {}
    async with store.pipeline(transaction=False) as pipe:
        suppression.queue_record(pipe, [WA, PHONE], 5000.25)
        suppression.queue_lookup(pipe, [PHONE, EMAIL])
        _, _, *answers = await pipe.execute()
    assert suppression.read_lookup([PHONE, EMAIL], answers) == {PHONE: 5000.25}
    assert await suppression.erased_at([EMAIL, WA, PHONE]) == {WA: 5000.25, PHONE: 5000.25}


async def test_suppression_keeps_no_identity_in_the_clear(store: Redis, prefix: str) -> None:
    suppression = Suppression(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        suppression.queue_record(pipe, [EMAIL], 5000.0)
        await pipe.execute()
    names = [key async for key in store.scan_iter(match=f"{prefix}*")]
    assert names == [Keys(prefix).suppression(digest(EMAIL))]
    assert "ann@example.com" not in " ".join(names)
