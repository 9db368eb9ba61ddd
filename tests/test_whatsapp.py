"""WhatsApp end to end: signed Cloud API webhooks in, the thread, the replies and the fan-out."""

from __future__ import annotations

import json
import time

import pytest

from adapters.whatsapp import parse_webhook
from bot.config.automation import AutomationSettings
from bot.model import ContactCard, ContactPhone, Identity, Inbound, Location, Reaction
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700900123"


async def test_text_message_is_threaded_answered_and_fanned_out(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(bot.phone_number_id, WA_ID, "hi, what are your hours?")
    response = await bot.post_whatsapp(payload)
    assert response.status == 200
    assert bot.graph is not None
    sent = await bot.graph.wait_for_sent(2)
    assert [message.text for message in sent] == ["Welcome! How can we help?", "We open at 9."]
    assert all(message.to == WA_ID for message in sent)
    sink = bot.sinks["support"]
    await sink.wait_for_count(3)
    inbound = sink.events("message.inbound")[0]
    assert inbound["data"]["message"]["text"] == "hi, what are your hours?"
    assert inbound["data"]["customer"] == f"wa:{WA_ID}"
    outbound = sink.events("message.outbound")
    assert sorted(event["data"]["text"] for event in outbound) == [
        "We open at 9.",
        "Welcome! How can we help?",
    ]
    assert {event["data"]["provider_id"] for event in outbound} == {m.message_id for m in sent}
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m["direction"] for m in timeline] == ["inbound", "outbound", "outbound"]
    assert timeline[0]["text"] == "hi, what are your hours?"
    assert timeline[1]["status"] == "sent"


async def test_the_welcome_goes_to_a_first_contact_only(make_bot: BotFactory) -> None:
    bot = await make_bot()
    for text in ("hello", "what is the price?", "thanks"):
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, text))
        await bot.settle()
    assert bot.graph is not None
    assert [m.text for m in bot.graph.sent] == [
        "Welcome! How can we help?",
        "Plans start at 9 a month.",
    ]


async def test_a_provider_retry_is_stored_replied_and_fanned_out_once(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(bot.phone_number_id, WA_ID, "hi")
    for _ in range(3):
        assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    await bot.sinks["support"].wait_for_count(2)
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m["direction"] for m in timeline] == ["inbound", "outbound"]
    assert bot.graph is not None and len(bot.graph.sent) == 1
    assert len(bot.sinks["support"].events("message.inbound")) == 1


async def test_choices_and_media_are_kept_as_references(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=AutomationSettings(welcome=""))
    number = bot.phone_number_id
    payload = meta.batch(
        meta.button_reply(number, WA_ID, "yes-please", "Yes please"),
        meta.list_reply(number, WA_ID, "plan-pro", "Pro plan", "For teams"),
        meta.image_message(number, WA_ID, "1479537139650973", caption="my receipt"),
        meta.document_message(number, WA_ID, "811208934156211", "invoice.pdf"),
    )
    assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    by_kind = {message["kind"]: message for message in timeline}
    assert by_kind["button"]["payload"] == "yes-please"
    assert by_kind["button"]["text"] == "Yes please"
    assert by_kind["list"]["payload"] == "plan-pro"
    assert by_kind["image"]["media"]["id"] == "1479537139650973"
    assert by_kind["image"]["media"]["caption"] == "my receipt"
    assert by_kind["document"]["media"]["filename"] == "invoice.pdf"
    assert by_kind["document"]["media"]["mime_type"] == "application/pdf"
    assert [m["kind"] for m in timeline] == ["button", "list", "image", "document"]


async def test_statuses_update_the_timeline_and_reach_services_once(make_bot: BotFactory) -> None:
    bot = await make_bot()
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    assert bot.graph is not None
    (welcome,) = await bot.graph.wait_for_sent(1)
    await bot.settle()
    for status in ("delivered", "read", "delivered"):
        receipt = meta.status_update(bot.phone_number_id, welcome.message_id, WA_ID, status)
        assert (await bot.post_whatsapp(receipt)).status == 200
    await bot.settle()
    sink = bot.sinks["support"]
    await sink.wait_for_count(2, type="message.status")
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert timeline[1]["status"] == "read"  # a late "delivered" never takes "read" back
    statuses = [event["data"]["status"] for event in sink.events("message.status")]
    assert sorted(statuses) == ["delivered", "read"]
    assert {event["data"]["message_id"] for event in sink.events("message.status")} == {
        timeline[1]["id"]
    }


async def test_an_unknown_message_type_is_kept_as_unsupported(make_bot: BotFactory) -> None:
    bot = await make_bot()
    hologram = {
        "from": WA_ID,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "hologram",
        "hologram": {"depth": 3},
    }
    payload = meta.batch(
        meta.raw_message(bot.phone_number_id, WA_ID, hologram),
        meta.unsupported_message(bot.phone_number_id, WA_ID),
    )
    assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    inbound = [m for m in timeline if m["direction"] == "inbound"]
    assert [m["kind"] for m in inbound] == ["unsupported", "unsupported"]
    assert inbound[0]["provider_type"] == "hologram"


async def test_meta_verification_handshake(make_bot: BotFactory) -> None:
    bot = await make_bot()
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": bot.verify_token,
        "hub.challenge": "1158201444",
    }
    response = await bot.client.get("/webhooks/whatsapp", params=query)
    assert response.status == 200
    assert await response.text() == "1158201444"
    wrong = {**query, "hub.verify_token": "not-the-token"}
    assert (await bot.client.get("/webhooks/whatsapp", params=wrong)).status == 403
    assert (await bot.client.get("/webhooks/whatsapp")).status == 403


async def _nothing_stored(bot: Bot) -> None:
    assert await bot.runtime.inbound_log.backlog() == 0
    assert bot.runtime.meters.value("switchboard_inbound_accepted_total") == 0
    assert await bot.runtime.conversations.timeline(bot.conversation(WA_ID)) == []


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "sha256=" + "0" * 64,
        "sha1=abc",
        "sha256=",
        "sha256=" + "é" * 64,
    ],
)
async def test_a_bad_or_missing_signature_gets_401_and_stores_nothing(
    make_bot: BotFactory, signature: str
) -> None:
    bot = await make_bot()
    payload = meta.text_message(bot.phone_number_id, WA_ID, "hi")
    response = await bot.post_whatsapp(payload, signature=signature)
    assert response.status == 401
    assert "X-Hub-Signature-256" in (await response.json())["error"]
    await _nothing_stored(bot)


async def test_a_signature_over_another_body_gets_401(make_bot: BotFactory) -> None:
    bot = await make_bot()
    signed = meta.encode(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    tampered = signed.replace(b'"hi"', b'"hey"')
    response = await bot.post_whatsapp(tampered, signature=meta.sign(bot.app_secret, signed))
    assert response.status == 401
    await _nothing_stored(bot)


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe\x00", b"[" * 100_000])
async def test_malformed_json_gets_400(make_bot: BotFactory, body: bytes) -> None:
    bot = await make_bot()
    response = await bot.post_whatsapp(body)
    assert response.status == 400
    assert (await response.json())["error"] == "body is not JSON"
    await _nothing_stored(bot)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"entry": "nope"},
        {"entry": [{"changes": [{"value": "x"}]}]},
        {"entry": [{"changes": [{"value": {"metadata": {}}}]}]},
        {"entry": [{"changes": [{"value": {"metadata": {"phone_number_id": "X"}}}]}]},
    ],
)
async def test_json_that_is_no_webhook_gets_400(make_bot: BotFactory, payload: object) -> None:
    bot = await make_bot()
    if isinstance(payload, dict) and "X" in json.dumps(payload):
        payload = json.loads(json.dumps(payload).replace('"X"', f'"{bot.phone_number_id}"'))
        payload["entry"][0]["changes"][0]["value"]["messages"] = [{"type": "text"}]
    response = await bot.post_whatsapp(json.dumps(payload).encode())
    assert response.status == 400
    assert (await response.json())["error"]
    await _nothing_stored(bot)


async def test_a_body_over_3_mb_gets_413(make_bot: BotFactory) -> None:
    bot = await make_bot()
    text = "x" * (3 * 1024 * 1024 + 1)
    response = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, text))
    assert response.status == 413
    await _nothing_stored(bot)
    # ... and the process goes on serving.
    ok = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    assert ok.status == 200


async def test_another_numbers_messages_are_acknowledged_and_skipped(make_bot: BotFactory) -> None:
    bot = await make_bot()
    response = await bot.post_whatsapp(meta.text_message("999999999999999", WA_ID, "hi"))
    assert response.status == 200
    assert (await response.json()) == {"received": 0, "new": 0}
    await _nothing_stored(bot)


async def test_whatsapp_routes_are_404_when_not_configured(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    assert (await bot.client.post("/webhooks/whatsapp", data=b"{}")).status == 404
    assert (await bot.client.get("/webhooks/whatsapp")).status == 404


async def test_a_customer_gets_one_profile_keyed_by_e164_phone(make_bot: BotFactory) -> None:
    bot = await make_bot()
    for text in ("hi", "me again"):
        await bot.post_whatsapp(
            meta.text_message(bot.phone_number_id, "447911123456", text, name="Ann Lee")
        )
        await bot.settle()
    profiles = bot.runtime.profiles
    profile_id = await profiles.lookup(Identity("phone", "+447911123456"))
    assert profile_id is not None
    assert await profiles.lookup(Identity("wa", "447911123456")) == profile_id
    profile = await profiles.get(profile_id)
    assert profile["stage"] == "lead"
    assert profile["source"] == "whatsapp"
    assert profile["name"] == "Ann Lee"
    assert profile["identities"] == ["phone:+447911123456", "wa:447911123456"]
    inbound = bot.sinks["support"].events("message.inbound")
    assert {event["data"]["profile"] for event in inbound} == {profile_id}


# --- Locations, contact cards and reactions carry their content ---------------------


def test_a_location_carries_its_place() -> None:
    payload = meta.location_message(
        "1", WA_ID, 51.5014, -0.1419, place="Buckingham Palace", address="London SW1A 1AA"
    )
    [message], _ = parse_webhook(payload, "1")
    assert isinstance(message, Inbound) and message.kind == "location"
    assert message.location == Location(51.5014, -0.1419, "Buckingham Palace", "London SW1A 1AA")
    [pin], _ = parse_webhook(meta.location_message("1", WA_ID, 0, 0), "1")
    assert isinstance(pin, Inbound) and pin.location == Location(0.0, 0.0)


@pytest.mark.parametrize(
    "location",
    [{}, {"latitude": 91, "longitude": 0}, {"latitude": "51", "longitude": 0}, {"latitude": True}],
)
def test_a_location_without_a_place_on_earth_is_unsupported(location: dict[str, object]) -> None:
    message = {"from": WA_ID, "id": "wamid.x", "type": "location", "location": location}
    [parsed], _ = parse_webhook(meta.raw_message("1", WA_ID, message), "1")
    assert isinstance(parsed, Inbound)
    assert (parsed.kind, parsed.location, parsed.provider_type) == ("unsupported", None, "location")


def test_contact_cards_are_content_and_only_the_senders_own_stitches() -> None:
    own = meta.contact_card(
        "Ann Lee", [("+44 7700 900123", WA_ID), ("+44 20 7946 0018", None)], emails=("a@x.io",)
    )
    other = meta.contact_card("Bob", [("+1 650-555-1234", "16505551234")], company="Acme")
    [message], _ = parse_webhook(meta.contacts_message("1", WA_ID, [own, other]), "1")
    assert isinstance(message, Inbound) and message.kind == "contact"
    assert message.contacts == (
        ContactCard(
            "Ann Lee",
            (
                ContactPhone("+44 7700 900123", WA_ID, "CELL"),
                ContactPhone("+44 20 7946 0018", "", "CELL"),
            ),
            ("a@x.io",),
        ),
        ContactCard("Bob", (ContactPhone("+1 650-555-1234", "16505551234", "CELL"),), (), "Acme"),
    )
    # Her own number stitches; the card's other number is only content (anyone's).
    assert message.identities == (Identity("wa", WA_ID), Identity("phone", "+447700900123"))
    [shared], _ = parse_webhook(meta.contacts_message("1", WA_ID, [other]), "1")
    assert isinstance(shared, Inbound) and shared.identities == (Identity("wa", WA_ID),)


def test_a_card_s_number_without_a_wa_id_is_the_senders_by_its_digits() -> None:
    card = meta.contact_card("Me", [("+44 7700 900123", None), ("+44 7700 900999", None)])
    [message], _ = parse_webhook(meta.contacts_message("1", WA_ID, [card]), "1")
    assert isinstance(message, Inbound)
    assert message.identities == (Identity("wa", WA_ID), Identity("phone", "+447700900123"))


def test_a_reaction_names_the_message_and_a_removal_has_no_emoji() -> None:
    [added], _ = parse_webhook(meta.reaction_message("1", WA_ID, "wamid.ours", "👍"), "1")
    [removed], _ = parse_webhook(meta.reaction_message("1", WA_ID, "wamid.ours", None), "1")
    assert isinstance(added, Inbound) and isinstance(removed, Inbound)
    assert (added.kind, added.reaction) == ("reaction", Reaction("wamid.ours", "👍"))
    assert (removed.kind, removed.reaction) == ("reaction", Reaction("wamid.ours", ""))


async def test_locations_cards_and_reactions_reach_the_services(make_bot: BotFactory) -> None:
    bot = await make_bot()
    number = bot.phone_number_id
    own = meta.contact_card("Ann Lee", [("+44 7700 900123", WA_ID), ("+44 20 7946 0018", None)])
    other = meta.contact_card("Bob", [("+1 650-555-1234", "16505551234")])
    payload = meta.batch(
        meta.location_message(number, WA_ID, 51.5014, -0.1419, place="The Palace"),
        meta.contacts_message(number, WA_ID, [own, other]),
        meta.reaction_message(number, WA_ID, "wamid.ours", "❤️"),
    )
    assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    sink = bot.sinks["support"]
    await sink.wait_for(lambda _: len(sink.events("message.inbound")) == 3, timeout=5)
    by_kind = {e["data"]["message"]["kind"]: e["data"] for e in sink.events("message.inbound")}
    assert by_kind["location"]["message"]["location"] == {
        "latitude": 51.5014,
        "longitude": -0.1419,
        "name": "The Palace",
        "address": "",
    }
    cards = by_kind["contact"]["message"]["contacts"]
    assert [card["name"] for card in cards] == ["Ann Lee", "Bob"]
    assert cards[1]["phones"] == [
        {"phone": "+1 650-555-1234", "wa_id": "16505551234", "type": "CELL"}
    ]
    assert by_kind["reaction"]["message"]["reaction"] == {"message_id": "wamid.ours", "emoji": "❤️"}
    profile = await bot.runtime.profiles.get(by_kind["contact"]["profile"])
    assert "phone:+442079460018" not in profile["identities"]  # her card's other phone
    assert "phone:+16505551234" not in profile["identities"]  # Bob's is only content
    assert "wa:16505551234" not in profile["identities"]
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    kept = {m["kind"]: m for m in timeline if m["direction"] == "inbound"}
    assert kept["contact"]["contacts"] == cards
