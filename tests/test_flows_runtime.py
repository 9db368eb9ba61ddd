"""Guided conversations (AU-2) through a running bot on the real Redis, on every channel:
WhatsApp through the Graph emulator (reply buttons, lists), SMS through the Twilio
emulator (numbered choices), Telegram through the Bot API emulator (inline keyboards,
the team chat) and the web chat's socket; restarts, parents and hostile answers."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from adapters.keepalive import KeepAlivePoster
from adapters.whatsapp import ProviderError, WhatsAppClient
from bot.config.automation import automation_settings
from bot.config.settings import SMSSettings, TeamMember, TelegramSettings
from bot.model import Identity, conversation_id
from tests.botprocess import BotProcess, free_port
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.graph_api import GraphAPIEmulator, SentMessage
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.emulators.twilio_api import TwilioEmulator
from tests.test_webchat import next_message, open_chat

WA_ID = "447700900321"
SHIPPED = {
    "callback": {"file": "flows/callback.yaml"},
    "qualify_lead": {"file": "flows/qualify_lead.yaml"},
}
PLAN = {
    "start": ["plan"],
    "steps": [
        {
            "id": "plan",
            "ask": "Which plan?",
            "input": "choice",
            "choices": ["Starter", "Team", "Business", "Enterprise", "Non-profit"],
            "save": "plan",
        },
        {
            "id": "size",
            "ask": "Which size?",
            "input": "choice",
            "choices": ["Small", "A very large business"],  # 20+ characters: a list
            "save": "size",
        },
    ],
    "end": "Noted: {plan}, {size}.",
}
FLOWS = automation_settings(
    {"welcome": "Welcome!", "flow_timeout": 600, "flows": {**SHIPPED, "plan": PLAN}}
)
NAME_Q = "Sure! What's your name?"
WHEN_Q = "When suits you?"
SLOTS = [("b:0", "Morning"), ("b:1", "Afternoon"), ("b:2", "Evening")]


async def say(bot: Bot, text: str, wa_id: str = WA_ID) -> None:
    response = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, wa_id, text))
    assert response.status == 200
    await bot.settle()


async def press(bot: Bot, choice: str, title: str, *, kind: str = "button") -> None:
    reply = meta.button_reply if kind == "button" else meta.list_reply
    response = await bot.post_whatsapp(reply(bot.phone_number_id, WA_ID, choice, title))
    assert response.status == 200
    await bot.settle()


async def sent(bot: Bot, n: int) -> list[SentMessage]:
    assert bot.graph is not None
    return await bot.graph.wait_for_sent(n)


async def fields(bot: Bot, identity: Identity) -> dict[str, str]:
    profile = await bot.runtime.profiles.lookup(identity)
    found: dict[str, str] = (await bot.runtime.profiles.get(profile))["fields"]
    return found


async def test_whatsapp_books_a_callback_with_reply_buttons(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=FLOWS)
    cid = bot.conversation(WA_ID)
    await say(bot, "Hi, can you call me back?")
    assert [m.text for m in await sent(bot, 1)] == [NAME_Q]
    state = await bot.runtime.pipeline.guided.store.get(cid)
    assert state is not None and (state["flow"], state["step"]) == ("callback", "name")
    assert 0 < await bot.runtime.pipeline.guided.store.ttl(cid) <= 600
    await say(bot, "Ann Lee")
    await say(bot, "not a number")
    await say(bot, "07700 900123")
    messages = await sent(bot, 4)
    assert [m.text for m in messages[1:3]] == [
        "Thanks Ann Lee. Which number should we call?",
        "Sorry, that isn't a number we can call, like 07700 900123 or +44 7700 900123.\n"
        "Thanks Ann Lee. Which number should we call?",
    ]
    question = messages[3]
    assert (question.type, question.interactive_type) == ("interactive", "button")
    assert (question.text, question.choices) == (WHEN_Q, SLOTS)
    await press(bot, "b:2", "Evening")
    done = (await sent(bot, 5))[-1]
    assert done.text == "Thanks Ann Lee, we'll call you on +447700900123 in the Evening."
    assert await fields(bot, Identity("wa", WA_ID)) == {
        "name": "Ann Lee",
        "callback_phone": "+447700900123",
        "callback_slot": "Evening",
    }
    assert await bot.runtime.pipeline.guided.store.get(cid) is None
    timeline = await bot.runtime.conversations.timeline(cid)
    assert timeline[-2]["kind"] == "button" and timeline[-2]["payload"] == "b:2"
    assert timeline[-3]["buttons"] == ["Morning", "Afternoon", "Evening"]


async def test_whatsapp_sends_a_list_past_three_choices_or_twenty_characters(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=FLOWS)
    await say(bot, "which plan is right?")
    (question,) = await sent(bot, 1)
    assert question.interactive_type == "list"
    body = question.body["interactive"]
    assert body["action"]["button"] == "Choose" and body["body"]["text"] == "Which plan?"
    assert [title for _, title in question.choices][3:] == ["Enterprise", "Non-profit"]
    await press(bot, "b:3", "Enterprise", kind="list")
    sizes = (await sent(bot, 2))[-1]
    assert sizes.interactive_type == "list"  # two choices, one too long for a button
    assert sizes.choices == [("b:0", "Small"), ("b:1", "A very large business")]
    await press(bot, "b:1", "A very large business", kind="list")
    assert (await sent(bot, 3))[-1].text == "Noted: Enterprise, A very large business."


@contextlib.asynccontextmanager
async def answering_calls() -> AsyncIterator[KeepAlivePoster]:
    """The client the runtime gives the WhatsApp client for its sends."""
    calls = KeepAlivePoster(keep_answers=True)
    try:
        yield calls
    finally:
        await calls.close()


@pytest.mark.parametrize(
    ("text", "choices", "kind", "titles"),
    [
        ("Pick", ["Yes", "No"], "button", ["Yes", "No"]),
        ("Pick", ["A", "B", "C", "D"], "list", ["A", "B", "C", "D"]),
        ("Pick", ["x" * 30], "list", ["x" * 23 + "…"]),  # the whole one as its description
        ("x" * 2000, ["Yes", "No"], "list", ["Yes", "No"]),  # past a button message's body
        ("Pick", [str(n) for n in range(11)], "text", []),  # past a list: numbered lines
    ],
)
async def test_choices_take_the_shape_whatsapp_accepts(
    text: str, choices: list[str], kind: str, titles: list[str]
) -> None:
    async with GraphAPIEmulator("token") as graph, answering_calls() as calls:
        client = WhatsAppClient(calls, graph.base_url, "1065", "token")
        await client.send_choices(WA_ID, text, choices)
        (message,) = graph.sent
    assert (message.interactive_type or message.type) == kind
    assert [title for _, title in message.choices] == titles
    assert [ident for ident, _ in message.choices] == [f"b:{n}" for n in range(len(titles))]
    if kind == "text":
        assert message.text == "Pick\n" + "\n".join(f"{n + 1}. {n}" for n in range(11))


@pytest.mark.parametrize(
    "interactive",
    [
        {
            "type": "button",
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b:{n}", "title": "t"}} for n in range(2)
                ]
            },
        },  # the same title twice
        {
            "type": "button",
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b:{n}", "title": f"t{n}"}} for n in range(4)
                ]
            },
        },
        {
            "type": "list",
            "action": {
                "button": "Choose",
                "sections": [{"rows": [{"id": f"b:{n}", "title": f"r{n}"} for n in range(11)]}],
            },
        },
        {
            "type": "list",
            "action": {
                "button": "Choose",
                "sections": [
                    {"rows": [{"id": "b:0", "title": "a"}]},
                    {"rows": [{"id": "b:1", "title": "b"}]},
                ],
            },
        },
        {
            "type": "list",
            "action": {
                "button": "Choose",
                "sections": [{"rows": [{"id": "b:0", "title": "a"}, {"id": "b:0", "title": "b"}]}],
            },
        },
        {
            "type": "list",
            "action": {
                "button": "Choose a plan from these",
                "sections": [{"rows": [{"id": "b:0", "title": "a"}]}],
            },
        },
    ],
)
async def test_the_graph_emulator_refuses_what_meta_refuses(interactive: dict[str, Any]) -> None:
    interactive["body"] = {"text": "Pick"}
    message = {"to": WA_ID, "type": "interactive", "interactive": interactive}
    async with GraphAPIEmulator("token") as graph, answering_calls() as calls:
        client = WhatsAppClient(calls, graph.base_url, "1065", "token")
        with pytest.raises(ProviderError) as refused:
            await client._send(message)
        assert graph.sent == []
    assert refused.value.status == 400 and not refused.value.retryable


async def test_two_quick_messages_are_taken_in_order(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=FLOWS)
    number = bot.phone_number_id
    payload = meta.batch(
        meta.text_message(number, WA_ID, "callback"),
        meta.text_message(number, WA_ID, "Bo"),
        meta.text_message(number, WA_ID, "+44 7700 900123"),
    )
    assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    texts = [m.text for m in await sent(bot, 3)]
    assert texts == [NAME_Q, "Thanks Bo. Which number should we call?", WHEN_Q]
    state = await bot.runtime.pipeline.guided.store.get(bot.conversation(WA_ID))
    assert state is not None and state["step"] == "when"


async def test_a_flow_goes_on_after_a_restart(make_bot: BotFactory) -> None:
    first = await make_bot(automation=FLOWS)
    await say(first, "callback")
    await say(first, "Cara")
    await sent(first, 2)
    await first.stop()
    second = await make_bot(automation=FLOWS)  # a new runtime on the same prefix
    await say(second, "07700900123")
    (question,) = await sent(second, 1)
    assert (question.text, question.choices) == (WHEN_Q, SLOTS)
    await press(second, "b:0", "Morning")
    assert (await sent(second, 2))[-1].text.startswith("Thanks Cara, we'll call you")
    saved = await fields(second, Identity("wa", WA_ID))
    assert saved["callback_slot"] == "Morning" and saved["name"] == "Cara"


async def test_escape_words_and_max_retries_on_whatsapp(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=FLOWS)
    cid = bot.conversation(WA_ID)
    await say(bot, "quote")
    await say(bot, "CANCEL")
    assert (await sent(bot, 2))[-1].text == "OK, stopped. Write any time if you need us."
    assert await bot.runtime.pipeline.guided.store.get(cid) is None
    await say(bot, "quote")
    await press(bot, "b:0", "Yes")
    await say(bot, "Acme")
    for answer in ("a few", "dozens", "0", "-1"):
        await say(bot, answer)
    messages = await sent(bot, 9)
    assert [m.text.split("\n")[0] for m in messages[5:8]] == [
        "Please answer with a number.",
        "Please answer with a number.",
        "Please answer with a number from 1 to 100000.",
    ]
    assert messages[8].text.startswith("Thanks! Connecting you to our sales team")
    assert await bot.runtime.pipeline.guided.store.get(cid) is None
    await say(bot, "callback")
    await say(bot, "agent")
    assert (await sent(bot, 11))[-1].text == "Connecting you to a member of our team."


async def test_hostile_answers_are_refused_or_kept_verbatim(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=FLOWS)
    await say(bot, "callback")
    await say(bot, "A" * 10_240)
    assert (await sent(bot, 2))[-1].text == f"Please keep it to 100 characters at most.\n{NAME_Q}"
    hostile = "Zoë 李 👋 <b>x</b> {callback_phone}'; DROP TABLE p;-- ${HOME} %s \\n"
    await say(bot, hostile)
    await say(bot, "+1 " + "5" * 5000)
    await say(bot, "+44 7700 900123")
    await say(bot, "3")
    messages = await sent(bot, 6)
    assert messages[1].text and messages[2].text
    assert messages[-1].text == f"Thanks {hostile}, we'll call you on +447700900123 in the Evening."
    saved = await fields(bot, Identity("wa", WA_ID))
    assert saved["name"] == hostile and saved["callback_slot"] == "Evening"


async def test_only_the_parents_flows_run(make_bot: BotFactory) -> None:
    survey = {
        "start": ["survey"],
        "steps": [{"id": "score", "ask": "Score from 1 to 5?", "input": "number", "min": 1}],
        "end": "Thanks for the {score}.",
    }
    bot = await make_bot(
        automation=FLOWS,
        automations={"support": {"welcome": "Support here.", "flows": {"survey": survey}}},
    )
    number = f"wa:{bot.phone_number_id}"
    cid = bot.conversation(WA_ID)
    await say(bot, "hello")
    await say(bot, "survey")  # support's flow: support is a subscriber
    await say(bot, "callback")
    assert [m.text for m in await sent(bot, 2)] == ["Welcome!", NAME_Q]
    await bot.runtime.fanout.publish(await bot.runtime.directory.detach(number, "bot"))
    await say(bot, "Dee")  # the old parent's flow is over: support has nothing to say
    await asyncio.sleep(0.2)
    assert len(bot.graph.sent if bot.graph else []) == 2
    assert await bot.runtime.pipeline.guided.store.get(cid) is None
    await say(bot, "callback")  # not support's
    await say(bot, "survey")
    await say(bot, "4")
    assert [m.text for m in (await sent(bot, 4))[2:]] == ["Score from 1 to 5?", "Thanks for the 4."]
    assert (await bot.runtime.conversations.timeline(cid))[-1]["service"] == "support"


@pytest.fixture
async def sms(make_bot: BotFactory) -> Any:
    token, account = secrets.token_hex(16), "AC" + "2" * 32
    async with TwilioEmulator(account, token) as twilio:
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        bot = await make_bot(
            whatsapp=False,
            port=port,
            public_url=public,
            sms=SMSSettings(account, token, "+447700900999", twilio.base_url),
            automation=FLOWS,
        )
        yield bot, twilio, f"{public}/webhooks/sms"
        await bot.stop()  # before its emulator goes


async def test_sms_numbers_the_choices_and_takes_a_digit(sms: Any) -> None:
    bot, twilio, url = sms
    customer = "+447700900555"

    async def text(body: str) -> None:
        form, signature = twilio.signed_inbound(url, customer, "+447700900999", body)
        response = await bot.client.post(
            "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert response.status == 200
        await bot.settle()

    for body in ("call me", "Eve", "07700 900555", "5"):
        await text(body)
    messages = [m.body for m in await twilio.wait_for_sent(4)]
    assert messages[2] == "When suits you?\n1. Morning\n2. Afternoon\n3. Evening"
    assert messages[3] == "Please pick one of the options.\n" + messages[2]
    await text(" 2 ")
    assert (await twilio.wait_for_sent(5))[-1].body.endswith("in the Afternoon.")
    assert (await fields(bot, Identity("phone", customer)))["callback_slot"] == "Afternoon"
    # A digit answers the question asked, not the choices offered before it.
    for body in ("quote", "1", "Acme", "2", "agent"):
        await text(body)
    messages = [m.body for m in await twilio.wait_for_sent(10)]
    assert messages[6:] == [
        "What's your company called?",
        "How many people would use it?",
        "And the best email for the quote?",
        "Thanks! Connecting you to our sales team: someone will be with you shortly.",
    ]
    assert (await fields(bot, Identity("phone", customer)))["seats"] == "2"
    # CANCEL is a carrier's opt-out word on SMS: the flow ends, and nothing more is sent.
    await text("quote")
    await text("cancel")
    cid = conversation_id("sms:+447700900999", Identity("phone", customer))
    assert await bot.runtime.pipeline.guided.store.get(cid) is None
    assert (await bot.runtime.conversations.meta(cid))["opted_out"] == "1"
    await asyncio.sleep(0.2)
    assert len(twilio.sent) == 11


TEAM_MEMBER = 7770009


async def flows_bot(
    make_bot: BotFactory, token: str, api: TelegramAPIEmulator, team_chat: int
) -> Bot:
    """A bot with the flows, on Telegram with its team chat (Ann in it) and the web chat."""
    return await make_bot(
        whatsapp=False,
        telegram=TelegramSettings(token=token, api_base=api.base_url, team_chat_id=str(team_chat)),
        team=(TeamMember("ann@example.com", "Ann", "admin", telegram=str(TEAM_MEMBER)),),
        telegram_lease_ttl=2.0,
        automation=FLOWS,
    )


@contextlib.asynccontextmanager
async def visitor_and_team_chat(
    make_bot: BotFactory, team_chat: int
) -> AsyncIterator[tuple[Bot, TelegramAPIEmulator, Any]]:
    """A bot with the flows and its team chat on Telegram, and a web chat visitor's open
    socket to it."""
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(team_chat, "Team")
        bot = await flows_bot(make_bot, token, api, team_chat)
        socket, _ = await open_chat(bot)
        try:
            yield bot, api, socket
        finally:
            await socket.close()
            await bot.runtime.pipeline.guided.settled()
            await bot.stop()


def posts(api: TelegramAPIEmulator, team_chat: int, start: str = "") -> list[str]:
    """The texts posted to the team chat, those that begin with ``start``."""
    return [m.text for m in api.messages_to(team_chat) if m.text.startswith(start)]


async def nth_reply(api: TelegramAPIEmulator, chat: int, count: int) -> str:
    """The text of the ``count``-th message the bot sent to ``chat``, once it is there."""
    await api.wait_until(lambda: len(api.messages_to(chat)) >= count, timeout=10)
    return str(api.messages_to(chat)[count - 1].text)


@pytest.fixture
async def telegram(make_bot: BotFactory) -> Any:
    token = fake_token()
    team_chat = -1001234567891
    async with TelegramAPIEmulator(token) as api:
        api.add_group(team_chat, "Team")
        bot = await flows_bot(make_bot, token, api, team_chat)
        yield bot, api, team_chat
        await bot.runtime.pipeline.guided.settled()
        await bot.stop()  # before its emulator goes


async def test_telegram_presses_the_keyboard_and_hands_off_to_the_team(telegram: Any) -> None:
    bot, api, team_chat = telegram
    customer = 5551009

    api.customer_text(customer, "callback", first_name="Finn")
    assert await nth_reply(api, customer, 1) == NAME_Q
    api.customer_text(customer, "Finn <i>O'Neil</i>")
    api.customer_text(customer, "+44 7700 900777")
    assert await nth_reply(api, customer, 3) == WHEN_Q
    keyboard = api.messages_to(customer)[2]
    assert keyboard.callback_data == ["b:0", "b:1", "b:2"]
    api.callback_query(customer, "b:0")
    assert (
        await nth_reply(api, customer, 4)
        == "Thanks Finn <i>O'Neil</i>, we'll call you on +447700900777 in the Morning."
    )
    assert api.messages_to(customer)[3].parse_mode is None
    api.customer_text(customer, "quote")
    assert (await nth_reply(api, customer, 5)).startswith("Happy to help")
    api.callback_query(customer, "b:0")
    assert await nth_reply(api, customer, 6) == "What's your company called?"
    api.customer_text(customer, "Agent")
    assert (await nth_reply(api, customer, 7)).startswith(
        "Thanks! Connecting you to our sales team"
    )

    def handoffs() -> list[Any]:
        return [m for m in api.messages_to(team_chat) if m.text.startswith("Hand-off:")]

    await api.wait_until(lambda: bool(handoffs()), timeout=10)
    (post,) = handoffs()
    cid = conversation_id(f"tg:{api.bot_user['id']}", Identity("tg", str(customer)))
    assert post.parse_mode is None and cid in post.text
    assert "Flow 'qualify_lead': the customer asked for a person." in post.text
    assert "business: Yes" in post.text
    # Replying to the hand-off post answers the customer, like any post of the team chat.
    api.group_text(
        team_chat, TEAM_MEMBER, "Hi Finn, Ann here.", reply_to_message_id=post.message_id
    )
    assert await nth_reply(api, customer, 8) == "Hi Finn, Ann here."
    saved = await fields(bot, Identity("tg", str(customer)))
    assert saved["name"] == "Finn <i>O'Neil</i>" and saved["is_business"] == "Yes"
    profile = await bot.runtime.profiles.get(
        await bot.runtime.profiles.lookup(Identity("tg", str(customer)))
    )
    assert profile["name"] == "Finn"  # the channel's name stays; the answer is a field


async def test_web_chat_buttons_send_the_choice(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, automation=FLOWS)
    socket, _ = await open_chat(bot)
    for n, text in enumerate(("please call me", "Gus", "07700 900888"), 1):
        await socket.send_json({"type": "message", "id": f"m{n}", "text": text})
        asked = await next_message(socket)
    assert (asked["text"], asked["buttons"]) == (WHEN_Q, ["Morning", "Afternoon", "Evening"])
    await socket.send_json({"type": "message", "id": "m4", "text": "x", "payload": "b:99x"})
    assert (await socket.receive_json(timeout=5))["type"] == "error"
    await socket.send_json({"type": "message", "id": "m5", "text": "Evening", "payload": "b:2"})
    done = await next_message(socket)
    assert done["text"] == "Thanks Gus, we'll call you on +447700900888 in the Evening."
    assert done["buttons"] == []
    await socket.close()
    socket = await bot.client.ws_connect("/webchat/socket")
    history = (await socket.receive_json(timeout=5))["messages"]
    assert [m["buttons"] for m in history if m["direction"] == "outbound"][-2] == [
        "Morning",
        "Afternoon",
        "Evening",
    ]
    assert history[-2]["kind"] == "button"
    await socket.close()
    visitor = next(c.value for c in bot.client.session.cookie_jar if c.key == "sb_vid")
    assert (await fields(bot, Identity("vid", visitor)))["callback_slot"] == "Evening"


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM}")
async def test_web_chat_buttons_are_pressed_from_the_keyboard() -> None:
    """The page's buttons are real buttons: reached with Tab, pressed with Enter."""
    process = BotProcess(config={"automation": {"welcome": "Hi!", "flows": SHIPPED}})
    process.start()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = await browser.new_page()
            await page.goto(process.url)
            outbound = page.locator("#log .msg.outbound")
            for text in ("call me back", "Ida", "07700 900111"):
                await page.locator("#text").fill(text)
                await page.locator("#text").press("Enter")
            await expect(outbound.last).to_have_text(WHEN_Q, timeout=10_000)
            group = page.get_by_role("group", name="Choose an answer")
            await expect(group.get_by_role("button")).to_have_text(
                ["Morning", "Afternoon", "Evening"]
            )
            await page.locator("#text").focus()
            # From the text box back over the attach and emoji buttons to the choices.
            for _ in range(4):
                await page.keyboard.press("Shift+Tab")
            await expect(group.get_by_role("button", name="Afternoon")).to_be_focused()
            await page.keyboard.press("Enter")
            done = "Thanks Ida, we'll call you on +447700900111 in the Afternoon."
            await expect(outbound.last).to_have_text(done, timeout=10_000)
            await expect(page.locator("#log .msg.inbound").last).to_have_text("Afternoon")
            await expect(group.get_by_role("button", name="Morning")).to_be_disabled()
            await browser.close()
    finally:
        process.stop()
        process.close()


async def test_a_consent_step_records_the_lawful_basis_with_its_source(
    make_bot: BotFactory,
) -> None:
    """A flow step saving ``consent`` records where the lawful basis came from and when."""
    optin = {
        "start": ["offers"],
        "steps": [
            {
                "id": "ask_consent",
                "ask": "May we send you offers?",
                "input": "choice",
                "choices": ["consent", "none"],
                "save": "consent",
            }
        ],
        "end": "Noted.",
    }
    bot = await make_bot(automation=automation_settings({"flows": {"optin": optin}}))
    await say(bot, "offers")
    await sent(bot, 1)
    before = time.time()
    await say(bot, "consent")
    profile = await bot.runtime.profiles.lookup(Identity("wa", WA_ID))
    found = (await bot.runtime.profiles.get(profile))["consent"]
    assert found["basis"] == "consent" and found["source"] == "flow:optin:ask_consent"
    assert before - 1 <= found["at"] <= time.time()
