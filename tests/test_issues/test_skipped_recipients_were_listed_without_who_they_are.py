"""``GET /v1/notifications/{id}/recipients?status=skipped`` listed a customer who had
opted out as ``{"recipient": "c_…", "run", "reason", "at"}``: no conversation, identity
or profile, although the docs promise them on every item and the sent ones have them.
``admin notify-recipients ID skipped`` printed a bare conversation id, so a marketer could
not tell whom the report's "skipped 1 (opted_out 1)" was.

What must hold: a skipped recipient who has a conversation is listed with it, their
identity and their profile."""

from __future__ import annotations

import time

from bot.model import Identity, conversation_id
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_notifications import Person, campaign, finished, seed, setup
from tests.test_notifications_follow import recipients


async def test_a_skipped_recipient_is_listed_with_who_they_are(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    people = [Person(f"44791173000{n}", wrote_at=time.time() - 60) for n in range(2)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    phone = shared.bot.phone_number_id
    await shared.bot.post_whatsapp(meta.text_message(phone, people[1].wa, "STOP"))
    await shared.bot.settle()
    body = {"number": shared.number, "text": "Sale", "audience": {"profiles": ids}}
    nid = await campaign(shared, body)
    assert (await finished(shared, nid))["skipped"]["opted_out"] == 1

    (skipped,) = (await recipients(shared, nid, "status=skipped"))["recipients"]
    assert skipped["reason"] == "opted_out"
    assert skipped["conversation"] == conversation_id(shared.number, Identity("wa", people[1].wa))
    assert skipped["identity"] == f"wa:{people[1].wa}" and skipped["profile"] == ids[1]
