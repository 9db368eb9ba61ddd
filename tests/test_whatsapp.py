"""WhatsApp end to end: signed Cloud API webhooks in, the thread, the replies and the fan-out."""

from __future__ import annotations

import json
import time

import pytest

from bot.config.automation import AutomationSettings
from bot.model import Identity
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
