"""Replies over /v1 beyond text: a WhatsApp template (outside the 24-hour window too) and
buttons or a list; masked for the other services (SN-3), refused whole when malformed."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.api.common import ApiError
from bot.api.content import reply_content
from tests.conftest import BotFactory
from tests.test_api import WELCOME, all_bytes, call, say, shared_number, wait_for_event
from tests.test_api_replies import MASKED_KEYS, from_sales
from tests.test_sms_channel import SMSBot, sms_bot  # noqa: F401 (a fixture)

SECRET_VARIABLE = "ORDER-ZEBRA-7731"
SECRET_BUTTON = "Keep ZEBRA-7731"
SECRET_URL = "https://files.example.com/zebra-7731/invoice.png"
SECRET_CAPTION = "Invoice ZEBRA-7731"


async def test_a_template_goes_outside_the_window_in_metas_shape_and_is_masked(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    late = "447911000031"
    await say(shared.bot, "are you there?", late, timestamp=int(time.time()) - 25 * 3600)
    conversation = shared.bot.conversation(late)
    path = shared.path("messages", conversation)
    refused = await shared.call("sales", "POST", path, {"text": "sorry", "agent": "bob"})
    assert refused.status == 422  # free text stays refused outside the window

    template = {"name": "order_update", "language": "en_US", "variables": [SECRET_VARIABLE]}
    answer = await shared.call("sales", "POST", path, {"template": template, "agent": "bob"})
    assert answer.status == 201, answer.raw
    assert answer.json["message"]["template"]["name"] == "order_update"

    sent = (await shared.graph.wait_for_sent(2))[1]
    assert (sent.to, sent.type) == (late, "template")
    assert sent.body["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": SECRET_VARIABLE}]}],
    }
    own = await wait_for_event(shared.bot.sinks["sales"], "message.outbound", from_sales)
    assert own["data"]["template"]["components"][0]["parameters"][0]["text"] == SECRET_VARIABLE
    for name in ("support", "marketing"):
        sink = shared.bot.sinks[name]
        event = await wait_for_event(sink, "message.outbound", from_sales)
        assert event["data"]["masked"] is True
        assert not MASKED_KEYS & event["data"].keys()
        assert b"ZEBRA" not in all_bytes(sink)
        assert b"order_update" not in all_bytes(sink)
        timeline = await shared.call(name, "GET", shared.path(conversation=conversation))
        assert b"ZEBRA" not in timeline.raw and b"order_update" not in timeline.raw


async def test_components_are_sent_as_given(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    components = [
        {"type": "header", "parameters": [{"type": "text", "text": "Ana"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": []},
    ]
    template = {"name": "welcome_back", "language": "pt_BR", "components": components}
    answer = await shared.call("sales", "POST", shared.path("messages"), {"template": template})
    assert answer.status == 201, answer.raw
    sent = (await shared.graph.wait_for_sent(2))[1]
    assert sent.body["template"] == {
        "name": "welcome_back",
        "language": {"code": "pt_BR"},
        "components": components,
    }


async def test_buttons_go_as_whatsapp_reply_buttons_and_are_masked(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = {"text": "Shall we?", "agent": "bob", "interactive": {"buttons": ["Yes", SECRET_BUTTON]}}
    answer = await shared.call("sales", "POST", shared.path("messages"), body)
    assert answer.status == 201, answer.raw
    assert answer.json["message"]["buttons"] == ["Yes", SECRET_BUTTON]
    sent = (await shared.graph.wait_for_sent(2))[1]
    assert (sent.interactive_type, sent.text) == ("button", "Shall we?")
    assert sent.choices == [("b:0", "Yes"), ("b:1", SECRET_BUTTON)]
    for name in ("support", "marketing"):
        sink = shared.bot.sinks[name]
        event = await wait_for_event(sink, "message.outbound", from_sales)
        assert event["data"]["masked"] is True and "buttons" not in event["data"]
        assert b"ZEBRA" not in all_bytes(sink)


async def test_a_list_of_up_to_ten_goes_as_a_whatsapp_list(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    rows = [f"Option {n}" for n in range(1, 11)]
    body = {"text": "Pick one", "interactive": {"list": rows}}
    answer = await shared.call("sales", "POST", shared.path("messages"), body)
    assert answer.status == 201, answer.raw
    sent = (await shared.graph.wait_for_sent(2))[1]
    assert sent.interactive_type == "list"
    assert [title for _, title in sent.choices] == rows


async def test_media_goes_by_link_with_its_caption_and_is_masked(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    media = {"type": "image", "url": SECRET_URL, "caption": SECRET_CAPTION}
    body = {"media": media, "agent": "bob"}
    answer = await shared.call("sales", "POST", shared.path("messages"), body)
    assert answer.status == 201, answer.raw
    sent = (await shared.graph.wait_for_sent(2))[1]
    assert sent.type == "image"
    assert sent.body["image"] == {"link": SECRET_URL, "caption": SECRET_CAPTION}
    own = await wait_for_event(shared.bot.sinks["sales"], "message.outbound", from_sales)
    assert (own["data"]["kind"], own["data"]["media"]["link"]) == ("image", SECRET_URL)
    for name in ("support", "marketing"):
        sink = shared.bot.sinks[name]
        event = await wait_for_event(sink, "message.outbound", from_sales)
        assert event["data"]["masked"] is True
        assert not MASKED_KEYS & event["data"].keys()
        assert b"ZEBRA" not in all_bytes(sink) and b"files.example.com" not in all_bytes(sink)
        timeline = await shared.call(name, "GET", shared.path())
        assert b"ZEBRA" not in timeline.raw and b"files.example.com" not in timeline.raw


async def test_an_uploaded_document_goes_by_id_with_its_filename(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    media = {"type": "document", "id": "1037543291543636", "filename": "terms.pdf"}
    answer = await shared.call("sales", "POST", shared.path("messages"), {"media": media})
    assert answer.status == 201, answer.raw
    sent = (await shared.graph.wait_for_sent(2))[1]
    assert sent.body["document"] == {"id": "1037543291543636", "filename": "terms.pdf"}


async def test_media_is_free_form_and_refused_outside_the_window(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    late = "447911000032"
    await say(shared.bot, "hello?", late, timestamp=int(time.time()) - 25 * 3600)
    path = shared.path("messages", shared.bot.conversation(late))
    media = {"type": "video", "url": "https://example.com/v.mp4"}
    refused = await shared.call("sales", "POST", path, {"media": media})
    assert refused.status == 422 and "24-hour window" in refused.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]


BAD_BODIES: list[Any] = [
    {"text": "hi", "colour": "red"},  # unknown key
    {"media": "https://example.com/a.png"},
    {"media": {"type": "image"}},
    {"media": {"type": "sticker", "url": "https://example.com/a.webp"}},
    {"media": {"type": "image", "url": "https://example.com/a.png", "id": "123"}},
    {"media": {"type": "image", "link": "https://example.com/a.png"}},
    {"media": {"type": "image", "url": "javascript:alert(1)"}},
    {"media": {"type": "image", "url": "file:///etc/passwd"}},
    {"media": {"type": "image", "url": "https://"}},
    {"media": {"type": "image", "url": "https://example.com/a b.png"}},
    {"media": {"type": "image", "url": "https://example.com/" + "a" * 2048}},
    {"media": {"type": "image", "url": 42}},
    {"media": {"type": "image", "id": "../../etc"}},
    {"media": {"type": "image", "url": "https://e.com/a.png", "caption": "c" * 1025}},
    {"media": {"type": "image", "url": "https://e.com/a.png", "caption": "bell\u0007"}},
    {"media": {"type": "image", "url": "https://e.com/a.png", "caption": ["c"]}},
    {"media": {"type": "audio", "url": "https://e.com/a.ogg", "caption": "hear"}},
    {"media": {"type": "image", "url": "https://e.com/a.png", "filename": "a.png"}},
    {"media": {"type": "image", "url": "https://e.com/a.png"}, "text": "and words"},
    {"media": {"type": "image", "url": "https://e.com/a.png"}, "interactive": {"list": ["a"]}},
    {"template": "order_update"},
    {"template": {"name": "Order Update", "language": "en"}},
    {"template": {"name": "x" * 513, "language": "en"}},
    {"template": {"name": "ok", "language": "english please"}},
    {"template": {"name": "ok", "language": "en", "category": "marketing"}},
    {"template": {"name": "ok", "variables": "one"}},
    {"template": {"name": "ok", "variables": [1, 2]}},
    {"template": {"name": "ok", "variables": [""]}},
    {"template": {"name": "ok", "variables": ["a\nb"]}},
    {"template": {"name": "ok", "variables": ["\x00\x1b[31m"]}},
    {"template": {"name": "ok", "variables": ["v"] * 21}},
    {"template": {"name": "ok", "variables": ["v" * 1025]}},
    {"template": {"name": "ok", "variables": ["a"], "components": [{"type": "body"}]}},
    {"template": {"name": "ok", "components": []}},
    {"template": {"name": "ok", "components": [{"type": "carousel"}]}},
    {"template": {"name": "ok", "components": ["body"]}},
    {"template": {"name": "ok", "components": [{"type": "body", "x": "y" * 20_000}]}},
    {"template": {"name": "ok"}, "text": "and words"},
    {"template": {"name": "ok"}, "interactive": {"buttons": ["a"]}},
    {"interactive": {"buttons": ["Yes"]}},  # no text
    {"text": "hi", "interactive": ["Yes", "No"]},
    {"text": "hi", "interactive": {}},
    {"text": "hi", "interactive": {"buttons": ["a"], "list": ["b"]}},
    {"text": "hi", "interactive": {"buttons": []}},
    {"text": "hi", "interactive": {"buttons": ["a", "b", "c", "d"]}},
    {"text": "hi", "interactive": {"buttons": ["x" * 21]}},
    {"text": "hi", "interactive": {"buttons": ["  "]}},
    {"text": "hi", "interactive": {"buttons": [7]}},
    {"text": "hi", "interactive": {"buttons": ["Yes", "yes"]}},
    {"text": "hi", "interactive": {"buttons": ["a\u0000b"]}},
    {"text": "hi", "interactive": {"list": [f"o{n}" for n in range(11)]}},
    {"text": "hi", "interactive": {"list": ["y" * 25]}},
    {"text": "hi", "interactive": {"menu": ["a"]}},
]


async def test_broken_hostile_and_oversized_replies_get_400_and_send_nothing(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    for body in BAD_BODIES:
        answer = await shared.call("sales", "POST", shared.path("messages"), body)
        assert answer.status == 400, (str(body)[:80], answer.raw)
        assert answer.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]
    timeline = (await shared.call("sales", "GET", shared.path())).json["messages"]
    assert not [m for m in timeline if m.get("service") == "sales"]
    assert (await shared.reply("sales", "still here", "bob")).status == 201


@pytest.mark.parametrize("channel", ["telegram", "sms", "web"])
def test_a_template_is_refused_on_channels_without_a_window(channel: str) -> None:
    with pytest.raises(ApiError) as refused:
        reply_content({"template": {"name": "order_update", "language": "en"}}, channel)
    assert refused.value.status == 400
    assert "no 24-hour window" in str(refused.value)
    found = reply_content({"text": "Pick", "interactive": {"buttons": ["A", "B"]}}, channel)
    assert (found.text, found.choices) == ("Pick", ("A", "B"))


@pytest.mark.parametrize("channel", ["telegram", "sms", "web"])
def test_media_elsewhere_goes_as_media_and_whatsapps_ids_stay_there(channel: str) -> None:
    media = {"type": "image", "url": SECRET_URL, "caption": SECRET_CAPTION}
    found = reply_content({"media": media}, channel)
    assert found.text == ""
    assert found.media == {"kind": "image", "link": SECRET_URL, "caption": SECRET_CAPTION}
    uploaded = reply_content({"media": {"type": "video", "id": "med_" + "a" * 22}}, channel)
    assert uploaded.media == {"kind": "video", "upload": "med_" + "a" * 22}
    with pytest.raises(ApiError) as refused:
        reply_content({"media": {"type": "image", "id": "1037543291543636"}}, channel)
    assert "upload here" in str(refused.value)


async def test_on_sms_buttons_are_numbered_media_is_an_mms_and_a_template_is_refused(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    bot = sms_bot.bot
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    token = await bot.runtime.directory.define_token("support")
    path = f"/v1/conversations/{sms_bot.conversation}/messages"
    template = {"template": {"name": "order_update", "language": "en"}}
    refused = await call(bot, token, "POST", path, template)
    assert refused.status == 400 and "no 24-hour window" in refused.error
    body = {"text": "When?", "interactive": {"buttons": ["Morning", "Evening"]}}
    assert (await call(bot, token, "POST", path, body)).status == 201
    media = {"type": "document", "url": "https://shop.example.com/a.pdf", "caption": "Invoice"}
    assert (await call(bot, token, "POST", path, {"media": media})).status == 201
    sent = await sms_bot.twilio.wait_for_sent(3)
    assert [s.body for s in sent[1:]] == ["When?\n1. Morning\n2. Evening", "Invoice"]
    assert sent[2].media_urls == ("https://shop.example.com/a.pdf",)
