"""A service that masks the sender's replies read a campaign's report without its text
and template (``masked: true``), but the report's last ``review`` held both, the
template's values too, before the send and after it (SN-3). The review is masked too."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, report, seed, setup

WORDS = "SECRET-PRICE 42 GBP"


async def test_a_masking_service_reads_no_words_in_the_review(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    person = Person("447911700051", wrote_at=time.time() - 60)
    (profile,) = await seed(shared.bot.runtime, shared.number, [person])
    body = {
        "number": shared.number,
        "text": WORDS,
        "audience": {"profiles": [profile]},
        "draft": True,
    }
    nid = await campaign(shared, body)
    reviewed = await shared.call("support", "GET", f"/v1/notifications/{nid}/review")
    assert reviewed.status == 200 and reviewed.json["review"]["text"] == WORDS
    theirs = await report(shared, nid, caller="sales")
    assert theirs["masked"] is True and theirs["review"]["eligible"] == 1
    assert WORDS not in str(theirs)
    own = await report(shared, nid)
    assert own["review"]["text"] == WORDS

    sent = await shared.call("support", "POST", f"/v1/notifications/{nid}/send")
    assert sent.status in (200, 202), sent.raw
    await finished(shared, nid)
    assert WORDS not in str(await report(shared, nid, caller="sales"))
