"""A merge and an erasure of one person at the same moment (a service merging a phone's
profile into an email's while another erased the phone) left the erased phone on the
live survivor, its identity index entry pointing there, and ``profile.merged`` telling
every service the erased phone: the merge read the loser before the erasure marked it.
Merges and erasures of the same profiles take turns now, in any process: the erasure
takes the merged person whole, or the merge finds the profile erased."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.core.profiles import ProfileErasedError, ProfileNotFoundError
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_notifications import Person, seed

PAIRS = 10


@pytest.mark.parametrize("erased", ["phone", "email"])
async def test_no_erased_identity_survives_a_merge_at_the_same_moment(
    make_bot: BotFactory, erased: str
) -> None:
    bot = await make_bot()
    runtime = bot.runtime
    book = runtime.profile_book
    now = time.time()
    people = []
    for n in range(PAIRS):
        people.append(Person(identities=(Identity("email", f"ann{n}@example.com"),)))
        people.append(Person(identities=(Identity("phone", f"+4477009{n:05d}"),), wrote_at=now))
    await seed(runtime, f"wa:{bot.phone_number_id}", people)

    async def merge(n: int) -> None:
        try:
            await book.merge(f"email:ann{n}@example.com", f"phone:+4477009{n:05d}")
        except (ProfileErasedError, ProfileNotFoundError):
            pass  # the erasure came first

    def pair(n: int) -> tuple[Identity, Identity]:
        phone = Identity("phone", f"+4477009{n:05d}")
        email = Identity("email", f"ann{n}@example.com")
        return (phone, email) if erased == "phone" else (email, phone)

    for n in range(PAIRS):
        await asyncio.gather(book.erase(pair(n)[0].key), merge(n))

    for n in range(PAIRS):
        gone, other = pair(n)
        assert await runtime.profiles.lookup(gone) == "", n
        survivor = await runtime.profiles.lookup(other)
        if survivor:  # the merge found it erased: the other person stays, without it
            profile = await runtime.profiles.get(survivor)
            assert gone.key not in profile["identities"], (n, profile["identities"])
