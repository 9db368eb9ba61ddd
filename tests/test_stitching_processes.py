"""PS-8 with real processes: two OS processes stitch the same 300 people from two
channels at the same instant, and every person ends as ONE profile."""

from __future__ import annotations

import asyncio
import sys
import textwrap

from redis.asyncio import Redis

from bot.identities import phone_of_whatsapp_id
from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.botprocess import ROOT
from tests.conftest import REDIS_URL

PEOPLE = 300

WORKER = textwrap.dedent(
    """
    import asyncio, sys, time
    from redis.asyncio import Redis
    from bot.identities import phone_of_whatsapp_id
    from bot.model import Identity
    from stores.profiles import ProfileStore, Sighting
    from stores.redis import Keys

    async def main(prefix, channel, people, batch):
        redis = Redis.from_url("{url}", decode_responses=True)
        store = ProfileStore(redis, Keys(prefix))
        await redis.blpop(prefix + "start", timeout=30)  # both go at once
        sightings = []
        for n in range(people):
            wa = "4477009{{:05d}}".format(n)
            own = Identity("wa", wa) if channel == "whatsapp" else Identity("tg", str(10_000 + n))
            sightings.append(Sighting((own, phone_of_whatsapp_id(wa)), channel, "", 1000.0 + n))
        for start in range(0, people, batch):
            await store.resolve_many(sightings[start:start + batch])
        await redis.aclose()

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    """
).format(url=REDIS_URL)


async def test_two_processes_stitching_one_crowd_make_one_profile_each(
    real_redis: Redis, prefix: str
) -> None:
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER, prefix, channel, str(PEOPLE), str(batch), cwd=ROOT
        )
        for channel, batch in (("whatsapp", 25), ("telegram", 1))
    ]
    await asyncio.sleep(0.5)  # both connected and waiting
    await real_redis.rpush(f"{prefix}start", "go", "go")
    codes = await asyncio.gather(*(worker.wait() for worker in workers))
    assert codes == [0, 0]
    store = ProfileStore(real_redis, Keys(prefix))
    roots = set()
    for n in range(PEOPLE):
        wa = f"4477009{n:05d}"
        found = {
            await store.lookup(identity)
            for identity in (
                Identity("wa", wa),
                Identity("tg", str(10_000 + n)),
                phone_of_whatsapp_id(wa),
            )
        }
        assert len(found) == 1 and "" not in found, (n, found)
        root = found.pop()
        assert len((await store.get(root))["identities"]) == 3
        roots.add(root)
    assert len(roots) == PEOPLE
