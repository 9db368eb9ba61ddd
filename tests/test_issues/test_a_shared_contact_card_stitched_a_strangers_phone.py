"""A Mexican customer who shared their own contact card, its number typed the national way
("55 1234 5678", WhatsApp's ``wa_id`` theirs), got ``phone:+15512345678`` on a bot whose
DEFAULT_REGION is US: the typed number was read in the bot's region, a New Jersey
number, and that number's owner texting by SMS landed on the Mexican customer's profile.
The card's phone that WhatsApp ties to the sender is now the phone of their WhatsApp id."""

from __future__ import annotations

import pytest

from adapters.whatsapp import parse_webhook
from bot.identities import identities_of
from bot.model import Identity, Inbound
from tests.emulators import meta_webhooks as meta

NUMBER_ID = "106540352242922"


def _identities(sender: str, typed: str, wa_id: str | None, region: str) -> set[Identity]:
    card = meta.contact_card("Maria", [(typed, wa_id)])
    body = meta.contacts_message(NUMBER_ID, sender, [card])
    (items, unread) = parse_webhook(body, NUMBER_ID)
    assert unread == []
    (message,) = items
    assert isinstance(message, Inbound)
    return set(identities_of(message, region))


@pytest.mark.parametrize(
    ("sender", "typed", "phone"),
    [
        ("5215512345678", "55 1234 5678", "+525512345678"),  # Mexico, typed nationally
        ("5511987654321", "(11) 98765-4321", "+5511987654321"),  # Brazil
        ("447700900123", "07700 900123", "+447700900123"),  # UK
    ],
)
def test_the_senders_own_card_gives_the_phone_of_their_whatsapp_id(
    sender: str, typed: str, phone: str
) -> None:
    found = _identities(sender, typed, sender, "US")
    phones = {i for i in found if i.kind == "phone"}
    assert phones == {Identity("phone", phone)}


def test_a_card_of_another_number_still_stitches_nothing() -> None:
    found = _identities("447700900123", "+1 202 555 0134", "12025550134", "US")
    assert {i for i in found if i.kind == "phone"} == {Identity("phone", "+447700900123")}
