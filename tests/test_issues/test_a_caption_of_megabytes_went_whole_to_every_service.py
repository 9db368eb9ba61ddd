"""A caption of megabytes went whole to every service, twice.

As a service saw it: a WhatsApp image whose caption was 2 MB became a 4 MB event (the
caption as the message's text and as the media's caption), to every service; a
Telegram photo's caption was cut to 4,096 as its text but kept whole as the media's.
A text is cut at 4,096 characters so that its event stays a few kB; so is every text
a message carries now: a caption (1,024 on both channels), a button's text and
payload, a file's name, a place's name and address, a shared card's fields.
"""

from __future__ import annotations

import pytest

from adapters.telegram_common import inbound_from_update
from adapters.telegram_update import check_update
from adapters.whatsapp import parse_webhook
from bot.model import Inbound
from tests.conftest import PHONE_NUMBER_ID
from tests.emulators import meta_webhooks as meta
from tests.test_issues.test_a_telegram_update_that_broke_its_reading_was_a_503 import (
    message as message_of,
)

HUGE = "x" * 200_000


def test_whatsapp_caps_what_a_message_carries() -> None:
    image = meta.image_message(PHONE_NUMBER_ID, "447700900123", media_id="123", caption=HUGE)
    button = meta.text_message(PHONE_NUMBER_ID, "447700900123", "")
    value = button["entry"][0]["changes"][0]["value"]
    value["messages"][0].pop("text")
    value["messages"][0].update(type="button", button={"text": HUGE, "payload": HUGE})
    for payload in (image, button):
        (parsed,), _ = parse_webhook(payload, PHONE_NUMBER_ID)
        assert isinstance(parsed, Inbound)
        assert len(parsed.text) <= 4096 and len(parsed.payload) <= 4096
        assert parsed.media is None or len(parsed.media.caption) <= 4096


def test_telegram_caps_a_caption() -> None:
    photo = [{"file_id": "AgAD", "file_unique_id": "u", "width": 1, "height": 1}]
    update = {"update_id": 1, "message": message_of(9, photo=photo, caption=HUGE)}
    (parsed,) = inbound_from_update(update, "123")
    assert parsed.media is not None
    assert len(parsed.text) <= 4096 and len(parsed.media.caption) <= 4096


def test_telegram_refuses_a_button_press_of_megabytes() -> None:
    pressed = {
        "id": "x" * 10_000,
        "from": {"id": 5, "is_bot": False, "first_name": "Cara"},
        "data": "b:0",
    }
    with pytest.raises(ValueError, match=r"callback_query\.id"):
        check_update({"update_id": 2, "callback_query": pressed})
    with pytest.raises(ValueError, match=r"callback_query\.data"):
        check_update({"update_id": 3, "callback_query": {**pressed, "id": "1", "data": HUGE}})


def test_places_cards_and_file_names_are_cut_too() -> None:
    place = meta.text_message(PHONE_NUMBER_ID, "447700900123", "")
    message = place["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(
        type="location",
        location={"latitude": 51.5, "longitude": -0.1, "name": HUGE, "address": HUGE},
    )
    (parsed,), _ = parse_webhook(place, PHONE_NUMBER_ID)
    assert isinstance(parsed, Inbound) and parsed.location is not None
    assert len(parsed.location.name) <= 1024 and len(parsed.location.address) <= 1024
    card = {"name": {"formatted_name": HUGE}, "phones": [{"phone": "+1"}] * 500}
    message.pop("location")
    message.update(type="contacts", contacts=[card] * 500)
    (parsed,), _ = parse_webhook(place, PHONE_NUMBER_ID)
    assert isinstance(parsed, Inbound)
    assert len(parsed.contacts) <= 20
    assert all(len(c.name) <= 1024 and len(c.phones) <= 20 for c in parsed.contacts)

    document = {"file_id": "BQAD", "file_unique_id": "u", "file_name": HUGE}
    venue = {"title": HUGE, "address": HUGE, "location": {"latitude": 1, "longitude": 2}}
    shared = {"phone_number": "+447700900123", "first_name": HUGE}
    for n, fields in enumerate(({"document": document}, {"venue": venue}, {"contact": shared})):
        (got,) = inbound_from_update({"update_id": n, "message": message_of(n, **fields)}, "9")
        if got.media is not None:
            assert len(got.media.filename) <= 255
        if got.location is not None:
            assert len(got.location.name) <= 1024 and len(got.location.address) <= 1024
        assert all(len(c.name) <= 1024 for c in got.contacts)


def test_a_files_ids_and_type_are_cut_too() -> None:
    image = meta.image_message(PHONE_NUMBER_ID, "447700900123", media_id="1" * 100_000)
    body = image["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
    body.update(mime_type=HUGE, sha256=HUGE)
    (parsed,), _ = parse_webhook(image, PHONE_NUMBER_ID)
    assert isinstance(parsed, Inbound) and parsed.media is not None
    media = parsed.media
    assert len(media.id) <= 512 and len(media.ref) <= 520
    assert len(media.mime_type) <= 255 and len(media.sha256) <= 255

    document = {"file_id": "BQAD", "file_unique_id": "u", "mime_type": HUGE}
    (got,) = inbound_from_update({"update_id": 1, "message": message_of(1, document=document)}, "9")
    assert got.media is not None and len(got.media.mime_type) <= 255
