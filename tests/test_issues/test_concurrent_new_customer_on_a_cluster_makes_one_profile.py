"""Regression: on a Redis Cluster, 20 concurrent resolutions of one new customer (a WhatsApp
id and its phone) sometimes ended in two live profiles, both holding both identities:
some callers were given the first, the index named the second.

A new profile's identities were claimed (``SET NX`` on each identity's slot) in the same
pipeline that wrote its hash (on the profile's slot). A cluster sends each node its part
of a pipeline on its own, in no order, so another resolution could read a claim naming a
profile whose hash was not written yet, took that entry for one left behind by an
erasure, and took it over for a profile of its own. A fresh client, whose first commands
go to the wrong nodes and are redirected, widened the window: about one round in ten.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.identities import phone_of_whatsapp_id
from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys, connect
from tests import rediscluster
from tests.rediscluster import LocalCluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes

ROUNDS = 30
AT_ONCE = 20


async def test_concurrent_resolutions_of_a_new_customer_on_a_cluster_make_one_profile(
    redis_cluster_nodes: LocalCluster, prefix: str
) -> None:
    url = redis_cluster_nodes.url.replace("redis://", "redis+cluster://", 1)
    keys = Keys(prefix)
    failures: list[str] = []
    for round_ in range(ROUNDS):
        wa = Identity("wa", f"4477009{round_:05d}")
        phone = phone_of_whatsapp_id(wa.value)
        redis = connect(url)  # a fresh client per round, as a process that just started
        try:
            graph = ProfileStore(redis, keys)
            ids = await asyncio.gather(
                *(
                    graph.resolve([wa, phone], channel="whatsapp", name="Ada")
                    for _ in range(AT_ONCE)
                )
            )
            (profile_id,) = set(ids) if len(set(ids)) == 1 else ("",)
            if not profile_id:
                failures.append(f"round {round_}: {len(set(ids))} profiles {Counter(ids)}")
                continue
            looked_up = {await graph.lookup(wa), await graph.lookup(phone)}
            if looked_up != {profile_id}:
                failures.append(f"round {round_}: returned {profile_id}, index {looked_up}")
                continue
            profile = await graph.get(profile_id)
            assert profile["identities"] == sorted([phone.key, wa.key])
            assert profile["stage"] == "lead" and "merged_into" not in profile
            # Every other profile made on the way points at the one (folded, unannounced).
            stored = [key async for key in redis.scan_iter(match=f"{prefix}{{p:*}}:h")]
            others = [key[len(f"{prefix}{{p:") : -len("}:h")] for key in stored]
            apart = [other for other in others if await graph.root(other) != profile_id]
            if apart:
                failures.append(f"round {round_}: {profile_id}, and apart from it {apart}")
            async for key in redis.scan_iter(match=f"{prefix}*"):
                await redis.delete(key)
        finally:
            await redis.aclose()
    assert failures == [], f"{len(failures)} of {ROUNDS} rounds: {failures}"
