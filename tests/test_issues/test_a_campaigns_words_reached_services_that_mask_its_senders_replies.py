"""A campaign's words reached the services that mask its sender's replies.

As a masking service saw it: the parent (support) sent a campaign; its sends were masked
for sales in the webhooks, the timeline and the daily notes (SN-3), but
``GET /v1/notifications/{id}`` gave sales the campaign's text (a template campaign's
values too), and ``GET /v1/profiles/{ref}/campaigns`` the text of each campaign the
customer got.

What must hold: a service that masks the sender's replies reads both without the
campaign's text and template (``masked: true``); the sender reads them whole.
"""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, report, seed, setup

WORDS = "Private offer: 30% off until Friday"


async def test_a_masking_service_reads_no_campaign_words(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    person = Person("447911700050", wrote_at=time.time() - 60)
    (profile,) = await seed(shared.bot.runtime, shared.number, [person])
    body = {"number": shared.number, "text": WORDS, "audience": {"profiles": [profile]}}
    nid = await campaign(shared, body)
    await finished(shared, nid)

    theirs = await report(shared, nid, caller="sales")
    assert theirs["masked"] is True and theirs["service"] == "support"
    assert WORDS not in str(theirs) and "text" not in theirs
    assert theirs["counts"]["sent"] == 1
    own = await report(shared, nid)
    assert own["text"] == WORDS and "masked" not in own

    path = f"/v1/profiles/{profile}/campaigns"
    answer = await shared.call("sales", "GET", path)
    (line,) = answer.json["campaigns"]
    assert line["masked"] is True and WORDS not in str(line)
    answer = await shared.call("support", "GET", path)
    (line,) = answer.json["campaigns"]
    assert line["text"] == WORDS and line["service"] == "support"
