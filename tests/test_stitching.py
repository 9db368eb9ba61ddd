"""Profile stitching (PS-2, PS-8): resolution, merges and merge protection, on the real
Redis and on the embedded store. tests/test_stitching_cluster.py runs a part of it on a
Redis Cluster."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.identities import phone_of_whatsapp_id
from bot.model import Identity, MergePolicy
from stores.profiles import Merge, ProfileStore, Refusal, Sighting
from stores.redis import Keys, RoundTrips, connect

WA = Identity("wa", "447700900123")
PHONE = phone_of_whatsapp_id("447700900123")
TG = Identity("tg", "5551234")
EMAIL = Identity("email", "ann@example.com")


def profiles(redis: Redis, prefix: str, policy: MergePolicy | None = None) -> ProfileStore:
    return ProfileStore(redis, Keys(prefix), policy)


def seen(*identities: Identity, channel: str = "whatsapp", at: float = 1000.0) -> Sighting:
    return Sighting(tuple(identities), channel, "Ann", at)


async def test_no_match_creates_a_lead_with_its_source(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix)
    (result,) = await graph.resolve_many([seen(WA, PHONE)])
    assert result.created and result.profile
    profile = await graph.get(result.profile)
    assert profile["stage"] == "lead"
    assert profile["source"] == "whatsapp"
    assert profile["name"] == "Ann"
    assert profile["identities"] == sorted([WA.key, PHONE.key])


async def test_one_match_attaches_new_identities(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix)
    first = await graph.resolve([WA, PHONE], channel="whatsapp")
    (again,) = await graph.resolve_many([seen(TG, PHONE, channel="telegram")])
    assert again.profile == first and not again.created and not again.merges
    assert await graph.lookup(TG) == first
    assert TG.key in (await graph.get(first))["identities"]


async def test_a_batch_with_the_same_new_customer_twice_makes_one_profile(
    store: Redis, prefix: str
) -> None:
    graph = profiles(store, prefix)
    results = await graph.resolve_many([seen(WA, PHONE), seen(WA), seen(PHONE, EMAIL)])
    assert len({r.profile for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await graph.lookup(EMAIL) == results[0].profile


async def test_several_matches_merge_into_the_oldest(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix)
    older = await graph.resolve([TG], channel="telegram", at=1000)
    newer = await graph.resolve([EMAIL], channel="web", at=2000)
    await graph.update(newer, {"f:plan": "gold"})
    (result,) = await graph.resolve_many([seen(EMAIL, TG, at=3000)])
    assert result.profile == older
    assert result.merges == [Merge(older, newer, (EMAIL.key,))]
    survivor = await graph.get(older)
    assert survivor["identities"] == sorted([TG.key, EMAIL.key])
    assert survivor["fields"] == {"plan": "gold"}
    assert survivor["merged"] == [newer]
    assert (await graph.get(newer))["merged_into"] == older
    assert await graph.lookup(EMAIL) == older
    assert await graph.root(newer) == older


async def test_a_merged_contact_stays_a_contact(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix)
    older = await graph.resolve([TG], channel="telegram", at=1000)
    newer = await graph.resolve([EMAIL], channel="web", at=2000)
    await graph.update(newer, {"stage": "contact"})
    assert isinstance(await graph.merge(newer, older), Merge)
    assert (await graph.get(older))["stage"] == "contact"


async def test_merge_is_a_no_op_for_one_person(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix)
    profile = await graph.resolve([TG, EMAIL], channel="telegram")
    assert await graph.merge(profile, profile) is None


async def test_blocked_values_never_join_a_profile(store: Redis, prefix: str) -> None:
    office = Identity("phone", "+442079460000")
    graph = profiles(store, prefix, MergePolicy(blocked=frozenset({office.key})))
    ann = await graph.resolve([EMAIL, office], channel="web")
    bob = await graph.resolve([Identity("email", "bob@example.com"), office], channel="web")
    assert ann != bob
    for placeholder in ("null", "anonymous", "0", "000-000", "NULL"):
        assert await graph.resolve([EMAIL, Identity("ext", placeholder)], channel="web") == ann
    assert await graph.lookup(office) == ""
    assert await graph.lookup(Identity("ext", "null")) == ""
    (only_blocked,) = await graph.resolve_many([seen(Identity("ext", "0"))])
    assert only_blocked.profile == "" and not only_blocked.created


async def test_a_merge_past_a_cap_is_refused_and_recorded(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix, MergePolicy(caps={"ext": 1}))
    crm_a = await graph.resolve([Identity("ext", "crm-1"), EMAIL], channel="import", at=1000)
    crm_b = await graph.resolve([Identity("ext", "crm-2"), TG], channel="telegram", at=2000)
    (result,) = await graph.resolve_many([seen(TG, EMAIL, channel="telegram", at=3000)])
    # The event lands on the profile of the channel's own identity.
    assert result.profile == crm_b
    assert not result.merges
    assert [r.reason for r in result.refusals] == ["more than 1 ext identities"]
    assert await graph.root(crm_a) == crm_a and await graph.root(crm_b) == crm_b
    for side in (crm_a, crm_b):
        (refusal,) = (await graph.get(side))["refusals"]
        assert refusal["reason"] == "more than 1 ext identities"
        assert {refusal["profile"], refusal["other"]} == {crm_a, crm_b}
    refused = await graph.merge(crm_a, crm_b)
    assert isinstance(refused, Refusal)


async def test_an_attachment_past_a_cap_is_refused(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix, MergePolicy(caps={"email": 1}))
    ann = await graph.resolve([TG, EMAIL], channel="telegram")
    other = Identity("email", "ann.other@example.com")
    (result,) = await graph.resolve_many([seen(TG, other, channel="telegram")])
    assert result.profile == ann
    assert result.refusals and "email" in result.refusals[0].reason
    assert await graph.lookup(other) == ""
    assert (await graph.get(ann))["identities"] == sorted([TG.key, EMAIL.key])


async def test_chains_of_merges_resolve_to_the_oldest(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix)
    ids = [Identity("email", f"p{n}@example.com") for n in range(5)]
    made = [await graph.resolve([i], channel="web", at=1000 + n) for n, i in enumerate(ids)]
    for n in range(4, 0, -1):
        await graph.resolve_many([seen(ids[n], ids[n - 1], at=5000)])
    for identity in ids:
        assert await graph.lookup(identity) == made[0]
    assert (await graph.get(made[0]))["identities"] == sorted(i.key for i in ids)


async def test_concurrent_stitches_of_one_person_end_as_one_profile(
    store: Redis, prefix: str
) -> None:
    """Two channels, two stores (as two processes), the same instant."""
    first, second = profiles(store, prefix), profiles(store, prefix)
    for round_ in range(20):
        wa = Identity("wa", f"44770090{round_:04d}")
        phone = phone_of_whatsapp_id(wa.value)
        tg = Identity("tg", f"77{round_}")
        a, b = await asyncio.gather(
            first.resolve_many([seen(wa, phone, at=1000 + round_)]),
            second.resolve_many([seen(tg, phone, channel="telegram", at=1000 + round_)]),
        )
        roots = {await first.lookup(i) for i in (wa, phone, tg)}
        assert len(roots) == 1, roots
        assert {await first.root(a[0].profile), await first.root(b[0].profile)} == roots


async def test_sightings_older_than_an_erasure_are_suppressed(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix)
    async with store.pipeline(transaction=False) as pipe:
        graph.suppression.queue_record(pipe, [WA, PHONE], 5000.0)
        await pipe.execute()
    (stale,) = await graph.resolve_many([seen(WA, PHONE, at=4000)])
    assert stale.suppressed and stale.profile == ""
    assert await graph.lookup(WA) == ""
    (later,) = await graph.resolve_many([seen(WA, PHONE, at=6000)])
    assert later.created and not later.suppressed


async def test_update_refuses_a_merged_profile(store: Redis, prefix: str) -> None:
    graph = profiles(store, prefix)
    older = await graph.resolve([TG], channel="telegram", at=1000)
    newer = await graph.resolve([EMAIL], channel="web", at=2000)
    await graph.merge(older, newer)
    assert not await graph.update(newer, {"name": "X"})
    assert await graph.update(older, {"name": "Ann B"})
    assert (await graph.get(older))["name"] == "Ann B"


async def test_profile_ids_sort_by_creation_time(store: Redis, prefix: str) -> None:
    profiles = ProfileStore(store, Keys(prefix))
    times = [1000.0 + 3, 1000.0, 1000.0 + 0.002, 1000.0 + 86_400 * 365]
    ids = [
        await profiles.resolve([Identity("vid", f"v{n}")], channel="web", at=at)
        for n, at in enumerate(times)
    ]
    assert sorted(ids) == [ids[1], ids[2], ids[0], ids[3]]


async def test_concurrent_resolve_of_a_new_customer_makes_one_profile(
    store: Redis, prefix: str
) -> None:
    profiles = ProfileStore(store, Keys(prefix))
    ids = await asyncio.gather(
        *(profiles.resolve([WA, PHONE], channel="whatsapp", name="Ada") for _ in range(20))
    )
    assert len(set(ids)) == 1
    assert await profiles.lookup(WA) == ids[0]
    assert await profiles.lookup(PHONE) == ids[0]
    assert (await profiles.get(ids[0]))["stage"] == "lead"


async def test_unknown_profile_and_identity(store: Redis, prefix: str) -> None:
    profiles = ProfileStore(store, Keys(prefix))
    assert await profiles.lookup(WA) == ""
    assert await profiles.get("p_missing") == {}
    with pytest.raises(ValueError):
        await profiles.resolve([], channel="whatsapp")


async def test_two_new_customers_never_share_a_profile_even_when_ids_collide(
    store: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of new customers shares its millisecond; were the random part of their
    ids ever equal, the second would be given the first one's profile."""
    graph = profiles(store, prefix)
    draws = iter([7, 7, 7, 8, 9, 10, 11, 12])
    monkeypatch.setattr("stores.profiles.secrets.randbits", lambda _: next(draws))
    results = await graph.resolve_many([seen(EMAIL, at=5000), seen(TG, at=5000)])
    assert results[0].profile != results[1].profile
    assert await graph.lookup(EMAIL) == results[0].profile
    assert await graph.lookup(TG) == results[1].profile
    assert (await graph.get(results[0].profile))["identities"] == [EMAIL.key]
    assert (await graph.get(results[1].profile))["identities"] == [TG.key]


@pytest.fixture(params=["redis", "embedded"])
async def product_client(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Redis]:
    """The client ``connect`` makes, whose pipelines take riders: for the URL the suite
    runs on (a cluster's too), and the embedded store. ``counted``: whether it counts its
    round trips (the single Redis's client does)."""
    redis = connect(redis_url if request.param == "redis" else None)
    redis.counted = request.param == "redis" and "cluster" not in redis_url  # type: ignore[attr-defined]
    yield redis
    await redis.aclose()


async def test_a_rider_reads_on_a_known_customers_one_round_trip(
    product_client: Redis, prefix: str
) -> None:
    graph = profiles(product_client, prefix)
    known = await graph.resolve([WA, PHONE], channel="whatsapp")
    await product_client.set(f"{prefix}beside", "read along")
    given: list[Any] = []

    def reader(pipe: Any) -> Callable[[list[Any] | BaseException], None]:
        pipe.get(f"{prefix}beside")
        return given.append

    sent = RoundTrips.round_trips
    (result,) = await graph.resolve_many([seen(WA, PHONE)], also=reader)
    assert result.profile == known and not result.created
    assert given == [["read along"]]
    if product_client.counted:  # type: ignore[attr-defined]
        assert RoundTrips.round_trips - sent == 1  # the rider took no round trip of its own

    (first,) = await graph.resolve_many([seen(TG)], also=reader)  # a new customer: the same
    assert first.created and given[1:] == [["read along"]]
    await product_client.delete(f"{prefix}beside")


async def test_a_rider_has_no_round_trip_to_ride_when_nobody_is_seen(
    product_client: Redis, prefix: str
) -> None:
    given: list[Any] = []
    assert (
        await profiles(product_client, prefix).resolve_many([], also=lambda pipe: given.append)
        == []
    )
    assert given == []


async def test_a_new_customer_is_stitched_in_two_round_trips(
    product_client: Redis, prefix: str
) -> None:
    """The entries and the erasure check in one, the new profile and its entries in the
    next (a cluster takes four: its nodes keep no order between them)."""
    graph = profiles(product_client, prefix)
    await product_client.ping()  # the connection is open
    sent = RoundTrips.round_trips
    (result,) = await graph.resolve_many([seen(WA, PHONE, EMAIL)])
    if product_client.counted:  # type: ignore[attr-defined]
        assert RoundTrips.round_trips - sent == 2
    assert result.created and await graph.lookup(EMAIL) == result.profile
