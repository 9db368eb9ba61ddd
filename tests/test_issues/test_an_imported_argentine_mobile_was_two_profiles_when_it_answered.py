"""The Argentine fix held for a conversation a service starts only: a contact imported as
``+54 11 7777-8888`` (as people write their mobile) who answered a campaign from
WhatsApp's ``5491177778888`` (Argentina's mobiles are +54 9 ...) became a second
profile, and a customer who wrote from ``549…`` was not found by the ``+54 11 …`` form
of their phone. Each form of an Argentine phone is the other's too, wherever a phone
comes from."""

from __future__ import annotations

import io
from pathlib import Path

from bot.cli.importer import import_contacts
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number
from tests.test_import import contact, write_csv


async def test_an_imported_mobile_is_the_one_who_answers_from_whatsapp(
    make_bot: BotFactory, tmp_path: Path
) -> None:
    shared = await shared_number(make_bot)
    runtime = shared.bot.runtime
    path = write_csv(tmp_path / "c.csv", [contact(name="Eva", phone="+54 11 7777-8888")])
    await import_contacts(runtime.profiles, path, region="GB", progress=io.StringIO())
    book = runtime.profile_book
    eva = await book.find("phone:+541177778888")

    payload = meta.text_message(shared.bot.phone_number_id, "5491177778888", "hola")
    await shared.bot.post_whatsapp(payload)
    await shared.bot.settle()

    assert await book.find("wa:5491177778888") == eva
    assert await book.find("phone:+5491177778888") == eva


async def test_one_who_wrote_from_whatsapp_is_found_by_either_form(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    payload = meta.text_message(shared.bot.phone_number_id, "5491155556666", "hola")
    await shared.bot.post_whatsapp(payload)
    await shared.bot.settle()
    book = shared.bot.runtime.profile_book
    known = await book.find("wa:5491155556666")
    assert await book.find("phone:+541155556666") == known
    assert await book.find("+54 11 5555-6666") == known
    answer = await shared.call("sales", "GET", "/v1/profiles/phone:+541155556666")
    assert answer.status == 200 and answer.json["profile"]["id"] == known
