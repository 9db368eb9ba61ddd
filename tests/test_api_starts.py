"""``POST /v1/conversations``: the business writes first to a profile or an identity, on
WhatsApp with a template; broken, hostile and oversized input refused with nothing sent."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.test_api import WA_ID, WELCOME, Answer, Shared, call, shared_number
from tests.test_sms_channel import OURS, SMSBot, sms_bot  # noqa: F401 (a fixture)

NEW_WA_ID = "447911555123"
TEMPLATE = {"name": "order_update", "language": "en_US", "variables": ["A-17"]}


async def start(shared: Shared, body: Any, service: str = "sales") -> Answer:
    return await shared.call(service, "POST", "/v1/conversations", body)


async def test_a_template_opens_a_whatsapp_conversation_with_a_new_phone(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    body = {"number": shared.number, "identity": "+44 7911 555123", "template": TEMPLATE}
    answer = await start(shared, {**body, "agent": "bob"})
    assert answer.status == 201, answer.raw
    cid = shared.bot.conversation(NEW_WA_ID)
    conversation = answer.json["conversation"]
    assert (conversation["id"], conversation["customer"]) == (cid, f"wa:{NEW_WA_ID}")
    assert conversation["profile"].startswith("p_")
    assert answer.json["message"]["template"]["name"] == "order_update"

    sent = (await shared.graph.wait_for_sent(2))[1]
    assert (sent.to, sent.type) == (NEW_WA_ID, "template")
    listed = await shared.call("sales", "GET", "/v1/conversations")
    assert cid in [c["id"] for c in listed.json["conversations"]]
    profile = await shared.call("sales", "GET", f"/v1/profiles/{conversation['profile']}")
    assert cid in profile.json["profile"]["conversations"]
    assert "phone:+447911555123" in profile.json["profile"]["identities"]

    again = await start(shared, body)
    assert again.status == 409 and again.json["conversation_id"] == cid
    await shared.bot.settle()
    assert len(shared.graph.sent) == 2


async def test_a_profile_is_reached_by_its_own_identity(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    profile = await shared.bot.runtime.profile_book.find(f"wa:{WA_ID}")
    answer = await start(
        shared, {"number": shared.number, "profile": profile, "template": TEMPLATE}
    )
    assert answer.status == 409  # the customer's WhatsApp conversation is the one to reply in
    assert answer.json["conversation_id"] == shared.conversation


async def test_whatsapp_needs_a_template_and_the_web_cannot_start(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    text = {"number": shared.number, "identity": f"wa:{NEW_WA_ID}", "text": "hi there"}
    answer = await start(shared, text)
    assert answer.status == 422 and "template" in answer.error
    web = await start(shared, {**text, "number": "web:site"})
    assert web.status == 422 and "writes first" in web.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]


BAD_STARTS: list[tuple[Any, int]] = [
    ({"identity": f"wa:{NEW_WA_ID}", "template": TEMPLATE}, 400),  # no number
    ({"number": "wa:999", "identity": f"wa:{NEW_WA_ID}", "template": TEMPLATE}, 404),
    ({"number": "NUMBER", "template": TEMPLATE}, 400),  # nobody
    ({"number": "NUMBER", "identity": "wa:1", "profile": "p_x", "template": TEMPLATE}, 400),
    ({"number": "NUMBER", "identity": "phone:12", "template": TEMPLATE}, 400),
    ({"number": "NUMBER", "identity": "email:ann@example.com", "template": TEMPLATE}, 422),
    ({"number": "NUMBER", "profile": "p_nobody", "template": TEMPLATE}, 404),
    ({"number": "NUMBER", "identity": f"wa:{NEW_WA_ID}", "template": {"name": "Bad Name"}}, 400),
    ({"number": "NUMBER", "identity": f"wa:{NEW_WA_ID}", "template": TEMPLATE, "x": 1}, 400),
    ({"number": "NUMBER", "identity": f"wa:{NEW_WA_ID}", "template": TEMPLATE, "text": "a"}, 400),
    ({"number": ["NUMBER"], "identity": f"wa:{NEW_WA_ID}", "template": TEMPLATE}, 400),
    ({"number": "NUMBER", "identity": "\u202e\x00wa:1", "template": TEMPLATE}, 400),
    ({"number": "NUMBER", "identity": "x" * 400, "template": TEMPLATE}, 400),
    ({"number": "NUMBER", "identity": "x" * 70_000, "template": TEMPLATE}, 413),
    ([], 400),
]


async def test_broken_starts_are_refused_and_nothing_is_sent(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for body, status in BAD_STARTS:
        if isinstance(body, dict):
            body = {k: (shared.number if v == "NUMBER" else v) for k, v in body.items()}
        answer = await start(shared, body)
        assert answer.status == status, (str(body)[:200], answer.raw)
        assert answer.error
    raw = await call(shared.bot, shared.tokens["sales"], "POST", "/v1/conversations", data=b"{")
    assert raw.status == 400
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]
    assert not await shared.bot.runtime.conversations.meta(shared.bot.conversation(NEW_WA_ID))


async def test_an_erased_person_cannot_be_written_to_again(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = {"number": shared.number, "identity": f"wa:{NEW_WA_ID}", "template": TEMPLATE}
    first = await start(shared, body)
    assert first.status == 201
    erased = await shared.call("sales", "DELETE", f"/v1/profiles/wa:{NEW_WA_ID}")
    assert erased.status == 200, erased.raw
    again = await start(shared, body)
    assert again.status == 410, again.raw


async def test_sms_starts_with_text_and_refuses_a_template(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    bot = sms_bot.bot
    token = await bot.runtime.directory.define_token("support")
    body = {"number": f"sms:{OURS}", "identity": "07700 900555", "text": "Your parcel is here"}
    answer = await call(bot, token, "POST", "/v1/conversations", body)
    assert answer.status == 201, answer.raw
    assert answer.json["conversation"]["customer"] == "phone:+447700900555"
    (sent,) = await sms_bot.twilio.wait_for_sent(1)
    assert (sent.to, sent.body) == ("+447700900555", "Your parcel is here")
    templated = {**body, "identity": "+447700900556", "text": None, "template": TEMPLATE}
    refused = await call(bot, token, "POST", "/v1/conversations", templated)
    assert refused.status == 400 and "no 24-hour window" in refused.error
    profile = answer.json["conversation"]["profile"]
    again = await call(
        bot, token, "POST", "/v1/conversations", {**body, "identity": None, "profile": profile}
    )
    assert again.status == 409  # the profile's SMS conversation is the one just started
