"""An erased person's suppression entries were a plain SHA-256 of each identity.

As an operator saw it: after ``DELETE /v1/profiles/{id}``, Redis kept
``sup:<sha256("phone:+447911123456")>`` (and the same for the WhatsApp id), and a campaign
that named the erased phone showed its service that digest among its skips. Hashing
every phone number of the country gave the erased phone back in minutes. The entries are
now an HMAC keyed by the links' secret; an entry a version before kept is still honoured,
so a late retry of an old message from the person still makes no profile.
"""

from __future__ import annotations

import hashlib
import time

from redis.asyncio import Redis

from bot.identities import phone_of_whatsapp_id
from bot.model import Identity
from stores.profiles import Sighting
from tests.conftest import BotFactory

WA = Identity("wa", "447911123456")
PHONE = phone_of_whatsapp_id(WA.value)


def plain(identity: Identity) -> str:
    return hashlib.sha256(identity.key.encode()).hexdigest()


async def entries(redis: Redis, prefix: str) -> set[str]:
    return {str(key).rsplit(":", 1)[1] async for key in redis.scan_iter(f"{prefix}sup:*")}


async def test_the_entries_of_an_erasure_are_no_plain_hash(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    bot = await make_bot(services=("crm",))
    runtime = bot.runtime
    profile = await runtime.profiles.resolve([WA, PHONE], channel="whatsapp")
    await runtime.profile_book.erase(profile)

    kept = await entries(real_redis, prefix)
    assert len(kept) == 2
    assert kept.isdisjoint({plain(WA), plain(PHONE)})
    # Still suppressed: a message the person sent before the erasure makes no profile.
    stale = Sighting((WA, PHONE), "whatsapp", "Ann", time.time() - 60)
    (resolution,) = await runtime.profiles.resolve_many([stale])
    assert resolution.suppressed and not resolution.profile


async def test_an_entry_kept_as_a_plain_hash_by_a_version_before_is_honoured(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    bot = await make_bot(services=("crm",))
    erased_at = time.time() - 30
    await real_redis.set(f"{prefix}sup:{plain(PHONE)}", repr(erased_at))
    stale = Sighting((PHONE,), "sms", "", erased_at - 60)
    (resolution,) = await bot.runtime.profiles.resolve_many([stale])
    assert resolution.suppressed and not resolution.profile
    assert await bot.runtime.profiles.suppression.erased_at([PHONE]) == {PHONE: erased_at}
