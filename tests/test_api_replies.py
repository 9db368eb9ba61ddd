"""Agents' replies over /v1: sent once, masked for the other services (SN-3), masked in the
timeline (SN-4), refused after STOP and outside WhatsApp's 24-hour window (CH-2)."""

from __future__ import annotations

import time

from bot.model import Service
from tests.conftest import BotFactory
from tests.emulators.sink import SubscriberSink
from tests.test_api import (
    WA_ID,
    WELCOME,
    all_bytes,
    call,
    say,
    shared_number,
    wait_for_event,
)

# ASCII, so that it has one spelling in every JSON encoding that could carry it.
SECRET_REPLY = "Your discount code is ZEBRA-7731, valid until Friday"
MASKED_KEYS = {"text", "media", "caption", "template"}


def from_sales(data: dict[str, object]) -> bool:
    return data.get("service") == "sales"


async def test_a_reply_reaches_the_customer_once_and_only_sales_sees_its_text(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    answer = await shared.reply("sales", SECRET_REPLY, "bob")
    assert answer.status == 201, answer.raw
    message = answer.json["message"]
    assert (message["text"], message["service"], message["agent"]) == (SECRET_REPLY, "sales", "bob")
    assert "warning" not in answer.json  # nobody holds the conversation

    sent = await shared.graph.wait_for_sent(2)
    await shared.bot.settle()
    assert [(s.to, s.text) for s in shared.graph.sent] == [(WA_ID, WELCOME), (WA_ID, SECRET_REPLY)]
    assert sent[1].phone_number_id == shared.bot.phone_number_id

    own = await wait_for_event(shared.bot.sinks["sales"], "message.outbound", from_sales)
    assert own["data"]["text"] == SECRET_REPLY
    assert own["data"]["agent"] == "bob"
    assert own["data"].get("masked") is not True
    for name in ("support", "marketing"):
        sink = shared.bot.sinks[name]
        event = await wait_for_event(sink, "message.outbound", from_sales)
        data = event["data"]
        assert data["masked"] is True
        assert (data["service"], data["agent"]) == ("sales", "bob")
        assert data["conversation_id"] == shared.conversation
        assert abs(data["timestamp"] - message["timestamp"]) < 1
        assert not MASKED_KEYS & data.keys()
        # Every byte this service was ever sent, not just the one event.
        assert SECRET_REPLY.encode() not in all_bytes(sink)
        assert b"ZEBRA" not in all_bytes(sink)
        assert len(sink.events("message.outbound")) == 2  # the welcome, and this one once


async def test_masking_is_per_service(make_bot: BotFactory) -> None:
    admin = "admin-" + "e" * 32
    shared = await shared_number(make_bot, admin_token=admin)
    async with (
        SubscriberSink("audit-secret-" + "f" * 20) as audit,
        SubscriberSink("crm-secret-" + "g" * 20) as crm,
    ):
        for name, sink, mask in (("audit", audit, False), ("crm", crm, None)):
            body: dict[str, object] = {"name": name, "url": sink.url, "secret": sink.secret}
            if mask is not None:
                body["mask"] = mask
            attached = await call(shared.bot, admin, "POST", "/v1/services", body)
            assert attached.status == 201, attached.raw
        assert (await shared.reply("sales", SECRET_REPLY, "bob")).status == 201
        full = await wait_for_event(audit, "message.outbound", from_sales)
        assert full["data"]["text"] == SECRET_REPLY
        assert full["data"].get("masked") is not True
        masked = await wait_for_event(crm, "message.outbound", from_sales)  # on by default
        assert masked["data"]["masked"] is True
        assert SECRET_REPLY.encode() not in all_bytes(crm)
        # The timeline follows the same setting (SN-4).
        for name, shown in (("audit", True), ("crm", False)):
            token = await shared.bot.runtime.directory.define_token(name)
            timeline = await call(shared.bot, token, "GET", shared.path())
            assert timeline.status == 200
            assert (SECRET_REPLY.encode() in timeline.raw) is shown
        await shared.bot.stop()  # before its sinks: nothing left in flight towards them


async def test_the_timeline_is_masked_for_each_caller(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    assert (await shared.reply("sales", SECRET_REPLY, "bob")).status == 201
    await shared.graph.wait_for_sent(2)
    await shared.bot.settle()

    sales = await shared.call("sales", "GET", shared.path())
    assert sales.status == 200
    assert sales.json["conversation"]["id"] == shared.conversation
    messages = sales.json["messages"]
    assert messages[0]["text"] == "hello"
    (own,) = [m for m in messages if m.get("service") == "sales"]
    assert (own["text"], own["agent"]) == (SECRET_REPLY, "bob")

    for name in ("support", "marketing"):
        answer = await shared.call(name, "GET", shared.path())
        assert answer.status == 200
        assert SECRET_REPLY.encode() not in answer.raw and b"ZEBRA" not in answer.raw
        messages = answer.json["messages"]
        assert messages[0]["text"] == "hello"  # the customer's words are everyone's
        (hidden,) = [m for m in messages if m.get("service") == "sales"]
        assert hidden["masked"] is True
        assert (hidden["agent"], hidden["id"]) == ("bob", own["id"])
        assert abs(hidden["timestamp"] - own["timestamp"]) < 1
        assert not MASKED_KEYS & hidden.keys()
    support = (await shared.call("support", "GET", shared.path())).json["messages"]
    assert [m.get("text") for m in support][:2] == ["hello", WELCOME]  # its own, in full


async def test_every_timeline_entry_says_which_way_it_went(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    assert (await shared.reply("sales", SECRET_REPLY, "bob")).status == 201
    await shared.bot.settle()
    messages = (await shared.call("marketing", "GET", shared.path())).json["messages"]
    assert [m.get("direction") for m in messages] == ["inbound", "outbound", "outbound"]


async def test_after_stop_replies_are_refused_until_start(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "STOP")
    listed = (await shared.call("sales", "GET", "/v1/conversations")).json["conversations"]
    assert [item["opted_out"] for item in listed] == [True]
    refused = await shared.reply("sales", "one more offer?", "bob")
    assert refused.status == 409
    assert "opted out" in refused.error
    notified = await shared.call(
        "support",
        "POST",
        "/v1/notifications",
        {"conversation_id": shared.conversation, "text": "x"},
    )
    assert notified.status == 409 and "opted out" in notified.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]

    await say(shared.bot, "START")
    assert (await shared.call("sales", "GET", shared.path())).json["conversation"][
        "opted_out"
    ] is False
    assert (await shared.reply("sales", "welcome back", "bob")).status == 201
    await shared.graph.wait_for_sent(2)
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "welcome back"]


async def test_a_customer_whose_first_word_is_stop_is_sent_nothing(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "STOP", wa_id="447911654321")
    assert shared.texts_sent() == [WELCOME]  # the first customer's welcome, and no other


async def test_outside_the_24_hour_window_a_reply_is_refused_before_any_call(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    late = "447911000025"
    await say(shared.bot, "are you there?", late, timestamp=int(time.time()) - 25 * 3600)
    await shared.bot.settle()
    before = list(shared.graph.requests)
    conversation = shared.bot.conversation(late)
    refused = await shared.reply("sales", "sorry for the wait", "bob", conversation)
    assert refused.status == 422
    assert "24-hour window" in refused.error
    await shared.bot.settle()
    assert shared.graph.requests == before  # refused before the Graph API was asked
    timeline = (await shared.call("sales", "GET", shared.path(conversation=conversation))).json
    assert not [m for m in timeline["messages"] if m.get("service") == "sales"]
    # The window is the customer's, not the number's: the first customer still gets replies.
    assert (await shared.reply("sales", "still open", "bob")).status == 201


async def test_a_message_that_arrives_25_hours_late_gets_no_free_form_answer(
    make_bot: BotFactory,
) -> None:
    # Meta retries a webhook for up to 7 days, with the message's own timestamp.
    shared = await shared_number(make_bot)
    await say(shared.bot, "hi", "447911000026", timestamp=int(time.time()) - 25 * 3600)
    assert shared.texts_sent() == [WELCOME]  # the first customer's welcome, and no other


async def test_masking_turned_on_applies_to_the_next_delivery(make_bot: BotFactory) -> None:
    admin = "admin-" + "e" * 32
    shared = await shared_number(make_bot, admin_token=admin)
    later = "The code changed: ZEBRA-9904 from Monday"
    async with SubscriberSink("audit-secret-" + "f" * 20) as audit:
        body = {"name": "audit", "url": audit.url, "secret": audit.secret, "mask": False}
        assert (await call(shared.bot, admin, "POST", "/v1/services", body)).status == 201
        assert (await shared.reply("sales", SECRET_REPLY, "bob")).status == 201
        full = await wait_for_event(audit, "message.outbound", from_sales)
        assert full["data"]["text"] == SECRET_REPLY
        store = shared.bot.runtime.directory.store
        await store.save(Service("audit", audit.url, audit.secret, mask=True))
        assert (await shared.reply("sales", later, "bob")).status == 201

        def replies() -> list[dict[str, object]]:
            return [e["data"] for e in audit.events("message.outbound") if from_sales(e["data"])]

        await audit.wait_for(lambda _: len(replies()) == 2, timeout=5)
        assert replies()[1]["masked"] is True
        assert later.encode() not in all_bytes(audit)
        await shared.bot.stop()
