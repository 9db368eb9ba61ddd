"""Stitching was not atomic across two workers (PS-8): a WhatsApp message and an SMS from
the same phone at the same instant, on two workers, created two profiles (85 to 180 per
600 people), merged a moment later: services got spurious ``profile.merged`` events, and
some survivors listed only one of the two conversations. The sighting that loses the
race for the shared phone now folds its new profile into the other one, unannounced, and
lands there."""

from __future__ import annotations

import asyncio
import random

from redis.asyncio import Redis

from bot.identities import phone_of_whatsapp_id
from bot.model import Identity, MergePolicy
from stores.profiles import ProfileStore, Resolution, Sighting
from stores.redis import Keys
from tests.conftest import REDIS_URL

PEOPLE = 300


async def test_two_workers_stitching_one_person_create_one_profile(prefix: str) -> None:
    """Two clients, as two worker processes: each person's WhatsApp sighting (wa id and
    phone) on one, their SMS sighting (phone) on the other, at the same instant."""
    first, second = (Redis.from_url(REDIS_URL, decode_responses=True) for _ in range(2))
    try:
        worker_a, worker_b = (ProfileStore(r, Keys(prefix), MergePolicy()) for r in (first, second))
        wa_ids = [f"4479112{n:05d}" for n in range(PEOPLE)]
        rng = random.Random(8)
        at_once = asyncio.Semaphore(20)  # people in flight, within the clients' pools

        async def person(wa_id: str) -> tuple[list[Resolution], list[Resolution]]:
            phone = phone_of_whatsapp_id(wa_id)
            whatsapp = Sighting((Identity("wa", wa_id), phone), "whatsapp", "Ann", 1000.0)
            sms = Sighting((phone,), "sms", "", 1000.0)
            one, two = (worker_a, worker_b) if rng.random() < 0.5 else (worker_b, worker_a)
            async with at_once:
                a, b = await asyncio.gather(one.resolve_many([whatsapp]), two.resolve_many([sms]))
            return a, b

        results = await asyncio.gather(*(person(wa_id) for wa_id in wa_ids))
        merges = [r for a, b in results for r in (*a, *b) if r.merges]
        assert merges == [], f"{len(merges)} of {PEOPLE} people were created twice and merged"
        for wa_id, (a, b) in zip(wa_ids, results, strict=True):
            (via_whatsapp,), (via_sms,) = a, b
            assert via_whatsapp.profile == via_sms.profile
            profile = await worker_a.get(via_sms.profile)
            assert set(profile["identities"]) == {f"wa:{wa_id}", f"phone:+{wa_id}"}
            assert await worker_b.lookup(Identity("wa", wa_id)) == via_sms.profile
        created = [r for a, b in results for r in (*a, *b) if r.created]
        assert len(created) == PEOPLE
    finally:
        for client in (first, second):
            await client.aclose()
