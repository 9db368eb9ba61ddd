"""Merge protection caps every kind of identity, WhatsApp's business-scoped user ids
(``wauser``) too (five by default), but ``profiles.caps`` refused ``wauser`` as a kind
("must be 'phone', 'wa', 'tg', 'email', 'vid' or 'ext'"): a business could not lower or
raise that cap. It is set like the others now."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.config.settings import load_settings
from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys


async def test_the_wauser_cap_is_set_and_kept(
    tmp_path: Path, real_redis: Redis, prefix: str
) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text("profiles:\n  caps: {wauser: 1, ext: 2}\n", encoding="utf-8")
    policy = load_settings({"SWITCHBOARD_CONFIG": str(config)}).profiles.policy
    assert policy.cap("wauser") == 1 and policy.cap("ext") == 2

    profiles = ProfileStore(real_redis, Keys(prefix), policy)
    first = await profiles.resolve([Identity("wauser", "US.1111111111")], channel="whatsapp")
    second = await profiles.resolve([Identity("wauser", "US.2222222222")], channel="whatsapp")
    assert await profiles.merge(first, second) is not None
    assert (await profiles.get(first))["identities"] == ["wauser:US.1111111111"]
    refused = (await profiles.get(first))["refusals"]
    assert refused and refused[0]["reason"] == "more than 1 wauser identities"
