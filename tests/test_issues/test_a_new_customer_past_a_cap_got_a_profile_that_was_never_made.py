"""A new customer whose first message brought more identities of a kind than the merge
policy's cap (their own contact card with three phones, the cap at two) was answered with
a new profile id that was never written: the API said 404 for it and for the customer's
own identity, and the next message made another profile. The refusal listed the
customer's own identities. A new profile is now made with what it may hold, the channel's
own identity first, and only the rest is refused."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.model import Identity, MergePolicy
from stores.profiles import ProfileStore, Sighting
from stores.redis import Keys

WA = Identity("wa", "447700900655")
PHONES = [Identity("phone", f"+44770090065{n}") for n in (5, 6, 7)]


async def test_a_new_customer_past_a_cap_gets_a_profile_within_it(
    store: Redis, prefix: str
) -> None:
    graph = ProfileStore(store, Keys(prefix), MergePolicy(caps={"phone": 2}))
    (first,) = await graph.resolve_many([Sighting((WA, *PHONES), "whatsapp", "Carla", 1000.0)])
    assert first.created and first.profile
    profile = await graph.get(first.profile)
    assert profile["identities"] == sorted(i.key for i in (WA, *PHONES[:2]))
    assert [(r.reason, r.identities) for r in first.refusals] == [
        ("more than 2 phone identities", (PHONES[2].key,))
    ]
    assert [r["identities"] for r in profile["refusals"]] == [[PHONES[2].key]]
    assert await graph.lookup(PHONES[2]) == ""
    (again,) = await graph.resolve_many([Sighting((WA,), "whatsapp", "Carla", 1001.0)])
    assert again.profile == first.profile and not again.created
