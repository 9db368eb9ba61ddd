"""An erasure left the person's identity in every campaign queued to them: each
recipient's state (``q|<conversation>|wa:447700900797|<profile>``), the audience that
listed them by it, and the profile's own list of campaigns, where ``admin
notify-recipients`` showed it afterwards. These keep the profile id now, never the
identity."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot.model import Identity, conversation_id
from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_notifications import Person, campaign, finished, seed, setup

ANN = "447911800797"


async def dump(redis: Redis, pattern: str) -> list[str]:
    """Every key under ``pattern``, with what it holds, as text."""
    found = []
    async for key in redis.scan_iter(match=pattern):
        kind = await redis.type(key)
        if kind == "hash":
            found += [f"{key} {k}={v}" for k, v in (await redis.hgetall(key)).items()]
        elif kind == "list":
            found += [f"{key} {v}" for v in await redis.lrange(key, 0, -1)]
        elif kind == "zset":
            found += [f"{key} {v}" for v in await redis.zrange(key, 0, -1)]
        else:
            found.append(f"{key} {await redis.get(key) if kind == 'string' else ''}")
    return found


async def test_an_erased_person_s_campaigns_keep_no_identity(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    (profile,) = await seed(runtime, shared.number, [Person(ANN, wrote_at=time.time() - 60)])
    cid = conversation_id(shared.number, Identity("wa", ANN))
    by_conversation = await campaign(
        shared,
        {"number": shared.number, "text": "Sale", "audience": {"conversations": [cid]}},
    )
    by_identity = await campaign(
        shared,
        {"number": shared.number, "text": "Sale", "audience": {"profiles": [f"wa:{ANN}"]}},
    )
    for nid in (by_conversation, by_identity):
        assert (await finished(shared, nid))["counts"]["sent"] == 1
    assert (await shared.call("support", "DELETE", f"/v1/profiles/{profile}")).status == 200
    left = await dump(real_redis, f"{prefix}*")
    assert [line for line in left if ANN in line] == []
    (audience,) = [line for line in left if f"{{ntf:{by_identity}}}:aud" in line]
    assert audience.endswith(f" p:{profile}")
    code, out, err = await run_command(
        environment(prefix), "admin", "notify-recipients", by_conversation, "sent"
    )
    assert code == 0 and profile in out and ANN not in out, err
