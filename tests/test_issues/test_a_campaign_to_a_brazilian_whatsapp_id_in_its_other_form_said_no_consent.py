"""A marketing campaign naming a Brazilian customer by the other form of their WhatsApp id
(``wa:551187654321``, without the mobile 9, for a profile holding ``5511987654321``)
skipped them as ``no_consent``, or as ``invalid_number`` when they had never written,
though their profile had consent and ``GET /v1/profiles`` found it by that very id;
Mexico's ``52`` for a ``521`` account the same. A WhatsApp id not held as written is
looked up by the phone it is, and the campaign reaches the customer's conversation."""

from __future__ import annotations

import time

from bot.model import Identity, conversation_id
from tests.conftest import BotFactory
from tests.test_notifications import Person, adds_up, campaign, finished, seed, setup
from tests.test_notifications_follow import recipients

CONSENT = {"consent": "consent"}
BRUNO, BIA, MEMO = "5511987654321", "5511987650000", "5215512345678"


async def test_the_other_form_of_the_id_reaches_the_customer(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    now = time.time()
    people = [
        Person(BRUNO, CONSENT, now - 60),
        Person(BIA, CONSENT, identities=(Identity("wa", BIA), Identity("phone", f"+{BIA}"))),
        Person(
            MEMO,
            CONSENT,
            now - 60,
            identities=(Identity("wa", MEMO), Identity("phone", "+525512345678")),
        ),
    ]
    await seed(shared.bot.runtime, shared.number, people)
    found = await shared.call("support", "GET", "/v1/profiles/wa:551187654321")
    assert found.status == 200 and found.json["profile"]["fields"]["consent"] == "consent"

    body = {
        "number": shared.number,
        "template": {"name": "winter_sale", "language": "en", "category": "marketing"},
        "audience": {"profiles": ["wa:551187654321", "wa:551187650000", "wa:525512345678"]},
    }
    nid = await campaign(shared, body)
    done = await finished(shared, nid)
    skipped = {reason: count for reason, count in done["skipped"].items() if count}
    assert skipped == {}, skipped
    assert done["counts"]["sent"] == 3, done["counts"]
    adds_up(done)
    # In the conversations they have, or would have, with the number...
    reached = (await recipients(shared, nid, "status=sent"))["recipients"]
    cids = {conversation_id(shared.number, Identity("wa", wa)) for wa in (BRUNO, BIA, MEMO)}
    assert {item["conversation"] for item in reached} == cids, reached
    # ... and a Brazilian number as it is today, with the 9.
    sent = {m.to for m in shared.graph.sent if m.type == "template"}
    assert {BRUNO, BIA} <= sent, sent


async def test_an_erased_customer_stays_suppressed_in_either_form(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person(BRUNO, CONSENT, time.time() - 60)])
    assert (await shared.call("support", "DELETE", f"/v1/profiles/wa:{BRUNO}")).status == 200
    body = {
        "number": shared.number,
        "template": {"name": "winter_sale", "language": "en", "category": "marketing"},
        "audience": {"profiles": [f"wa:{BRUNO}", "wa:551187654321"]},
    }
    done = await finished(shared, await campaign(shared, body))
    skipped = {reason: count for reason, count in done["skipped"].items() if count}
    assert skipped == {"suppressed": 2}, skipped
