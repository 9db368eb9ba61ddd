"""A customer who wrote again in the same second as their erasure was dropped without a
word: WhatsApp and Telegram date a message in whole seconds, the erasure was dated to the
microsecond, and a message dated 924 was taken as sent before an erasure at 924.006. A
message is dropped now only when it was surely sent before the erasure: its whole second
over before the erasure was made (API erasure, "Erasure" in docs/api.md)."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.model import Identity
from stores.profiles import ProfileStore, Sighting
from stores.redis import Keys

WA = Identity("wa", "447700900601")
ERASED_AT = 5000.006


async def test_a_message_dated_in_the_erasures_second_is_a_new_customer(
    store: Redis, prefix: str
) -> None:
    profiles = ProfileStore(store, Keys(prefix))
    ann = await profiles.resolve([WA], channel="whatsapp", at=1000)
    await profiles.suppress([WA], [ann], ERASED_AT)
    earlier, same, web = await profiles.resolve_many(
        [
            Sighting((WA,), "whatsapp", "", 4999.0),  # its second was over before
            Sighting((WA,), "whatsapp", "", 5000.0),  # sent in [5000, 5001): maybe after
            Sighting((WA,), "whatsapp", "", 5000.001),  # dated to the millisecond: before
        ]
    )
    assert earlier.suppressed and not earlier.profile
    assert web.suppressed and not web.profile
    assert not same.suppressed and same.profile and same.profile != ann
