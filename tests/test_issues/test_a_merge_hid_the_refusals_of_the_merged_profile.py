"""A merge hid the merge policy's refusals recorded on the profile merged away.

As a CRM saw it: an import tied a contact to a profile that had a CRM id already; the
merge was refused ("more than 1 ext identities") and recorded on both profiles. Once the
contact's WhatsApp profile was merged into an older one (their Telegram profile, say),
``GET /v1/profiles/{id}`` showed ``"refusals": []``: the one refusal that said why the CRM
records were kept apart was gone from the person's profile, though the other profile still
showed it. The survivor shows the refusals of the profiles merged into it now.
"""

from __future__ import annotations

import time

from bot.model import Identity
from stores.profiles import Merge, Refusal
from tests.conftest import BotFactory

TELEGRAM = Identity("tg", "5550001")
PHONE = Identity("phone", "+447700900123")
OTHER_PHONE = Identity("phone", "+447700900456")


async def test_the_survivor_shows_the_refusal_of_the_merged_profile(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(services=("crm",))
    runtime, book = bot.runtime, bot.runtime.profile_book
    now = time.time()
    older = await runtime.profiles.resolve([TELEGRAM], channel="telegram", at=now - 60)
    ann = await runtime.profiles.resolve(
        [PHONE, Identity("ext", "CRM-1")], channel="import", at=now - 30
    )
    other = await runtime.profiles.resolve(
        [OTHER_PHONE, Identity("ext", "CRM-2")], channel="import", at=now - 20
    )
    refused = await book.merge(ann, other)
    assert isinstance(refused, Refusal)
    (shown,) = (await book.view(ann))["refusals"]

    merged = await book.merge(older, ann)
    assert isinstance(merged, Merge) and merged.survivor == older
    survivor = await book.view(older)
    assert survivor["refusals"] == [shown]
    assert (await book.view(ann))["refusals"] == [shown]  # its old id answers the same
    assert (await book.view(other))["refusals"] == [shown]


async def test_an_erasure_of_the_other_side_takes_it_off_the_survivor(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(services=("crm",))
    runtime, book = bot.runtime, bot.runtime.profile_book
    now = time.time()
    older = await runtime.profiles.resolve([TELEGRAM], channel="telegram", at=now - 60)
    ann = await runtime.profiles.resolve(
        [PHONE, Identity("ext", "CRM-1")], channel="import", at=now - 30
    )
    other = await runtime.profiles.resolve(
        [OTHER_PHONE, Identity("ext", "CRM-2")], channel="import", at=now - 20
    )
    assert isinstance(await book.merge(ann, other), Refusal)
    assert isinstance(await book.merge(older, ann), Merge)
    await book.erase(other)
    assert (await book.view(older))["refusals"] == []
