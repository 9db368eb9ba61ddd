"""Erasure left the person's identities in two places (PS-7): in the refusals of every
profile a merge with theirs had been refused for (a refusal names both sides'
identities, and is kept on both), where any service reads them, and in the team's audit
trail, which kept ``/forget email:…`` as typed. The other profiles' copies of a refusal
now go with the erased profile, and the audit trail keeps a profile id as given and an
identity as ``<identity>``."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.model import Identity
from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_api import call, shared_number
from tests.test_api_profiles import profile_of

ADMIN = Caller("ann@example.com", "admin")
SECRET_EMAIL = "secret.bob@example.com"


async def test_an_erased_profile_leaves_no_refusal_behind(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    profiles = shared.bot.runtime.profiles
    alice = await profiles.resolve([Identity("ext", "crm-1")], channel="import")
    bob = await profiles.resolve(
        [Identity("ext", "crm-2"), Identity("email", SECRET_EMAIL)], channel="import"
    )
    refused = await shared.call("sales", "POST", f"/v1/profiles/{alice}/merge", {"other": bob})
    assert refused.status == 409
    # The refusal is kept on both profiles, with the identities of the one that would
    # have moved (whichever is the newer).
    refusals = (await profile_of(shared, alice))["refusals"]
    assert [bob in (r["profile"], r["other"]) for r in refusals] == [True]
    token = shared.tokens["sales"]
    erased = await call(shared.bot, token, "DELETE", f"/v1/profiles/{bob}")
    assert erased.status == 200, erased.raw
    assert (await profile_of(shared, alice))["refusals"] == []


async def test_the_audit_trail_keeps_no_identity_of_a_forgotten_person(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await shared_number(make_bot)
    runtime = shared.bot.runtime
    await runtime.profiles.resolve([Identity("email", SECRET_EMAIL)], channel="import")
    asked = await runtime.commands.run(ADMIN, f"/forget email:{SECRET_EMAIL}")
    code = asked.split("confirm ")[-1].split()[0].strip("`")
    done = await runtime.commands.run(ADMIN, f"/forget email:{SECRET_EMAIL} confirm {code}")
    assert "erased" in done.lower() or "forgot" in done.lower(), done
    leftovers = []
    async for key in real_redis.scan_iter(match=f"{prefix}*"):
        kind = await real_redis.type(key)
        if kind == "list":
            leftovers += await real_redis.lrange(key, 0, -1)
        elif kind == "hash":
            leftovers += list((await real_redis.hgetall(key)).values())
        elif kind == "string":
            leftovers.append(await real_redis.get(key) or "")
        elif kind == "zset":
            leftovers += await real_redis.zrange(key, 0, -1)
    assert not [value for value in leftovers if SECRET_EMAIL in str(value)]
    trail = await runtime.desk.audit_trail()
    assert [entry["command"] for entry in trail][:2] == [
        f"/forget <identity> confirm {code}",
        "/forget <identity>",
    ], trail
