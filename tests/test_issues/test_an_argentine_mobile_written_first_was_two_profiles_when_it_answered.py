"""An Argentine mobile a service wrote to first became two profiles when it answered.

As a service saw it: ``POST /v1/conversations`` to ``+54 11 4567 8912`` made profile A
(with that phone and its WhatsApp id); the customer answered from WhatsApp's
``5491145678912`` (Argentina's mobiles are +54 9 ...): the answer came into the same
conversation, but on a new profile B with the +54 9 phone, and the conversation then
said it was B's. And a customer who had written from 549... before, written to as
+54 11 ..., got a new profile too. Mexico's and Brazil's forms were one profile.
"""

from __future__ import annotations

from bot.model import Identity
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number
from tests.test_api_starts import TEMPLATE, start

WRITTEN = "+54 11 4567 8912"
ANSWERING = "5491145678912"


async def test_the_answer_is_the_same_persons(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = {"number": shared.number, "identity": WRITTEN, "template": TEMPLATE}
    answer = await start(shared, body)
    assert answer.status == 201, answer.raw
    profile = answer.json["conversation"]["profile"]
    cid = answer.json["conversation"]["id"]
    await shared.bot.post_whatsapp(meta.text_message(shared.bot.phone_number_id, ANSWERING, "hi"))
    await shared.bot.settle()
    book = shared.bot.runtime.profile_book
    assert await book.find(f"wa:{ANSWERING}") == await book.find(profile)
    assert await book.find(f"phone:+{ANSWERING}") == await book.find(profile)
    assert shared.bot.conversation(ANSWERING) == cid


async def test_a_customer_who_wrote_first_is_found(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await shared.bot.post_whatsapp(meta.text_message(shared.bot.phone_number_id, ANSWERING, "hi"))
    await shared.bot.settle()
    book = shared.bot.runtime.profile_book
    known = await book.find(f"wa:{ANSWERING}")
    body = {"number": shared.number, "identity": WRITTEN, "template": TEMPLATE}
    answer = await start(shared, body)
    # Their conversation exists already (one conversation for both forms): reply to it.
    assert answer.status == 409, answer.raw
    assert answer.json["conversation_id"] == shared.bot.conversation(ANSWERING)
    written = await book.profiles.lookup(Identity("phone", "+541145678912"))
    assert written in ("", known)


async def test_an_existing_profile_gets_the_mobile_too(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    runtime = shared.bot.runtime
    imported = await runtime.profiles.resolve(
        [Identity("phone", "+541123456790")], channel="import"
    )
    by_profile = {"number": shared.number, "profile": imported, "template": TEMPLATE}
    by_phone = {"number": shared.number, "identity": "+54 11 2345 6790", "template": TEMPLATE}
    for body in (by_phone, by_profile):
        answer = await start(shared, body)
        assert answer.status in (201, 409), answer.raw
    await shared.bot.post_whatsapp(
        meta.text_message(shared.bot.phone_number_id, "5491123456790", "hi")
    )
    await shared.bot.settle()
    book = runtime.profile_book
    assert await book.find("wa:5491123456790") == await book.find(imported)
