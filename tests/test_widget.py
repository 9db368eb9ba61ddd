"""The web chat's branding and its widget for other sites: the script, the panel, the visitor
token and the socket it opens, typing and delivery, and what each of them refuses."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters import webchat
from adapters.webchat import Branding
from bot.config.settings import ConfigError, load_settings
from bot.core.visitor_tokens import VisitorTokenSigner
from bot.http.tracking import profile_activity
from bot.model import Identity, conversation_id
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_api import call as api_call
from tests.test_telegram_runtime import CUSTOMER, telegram_bot


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_branding_comes_from_the_yaml_file(tmp_path: Path) -> None:
    text = (
        "webchat:\n  title: Acme help\n  colour: '#ff5500'\n  greeting: Ask us anything\n"
        "  logo: https://shop.example.com/logo.png\n"
    )
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})
    assert settings.branding == Branding(
        "Acme help", "#ff5500", "Ask us anything", "https://shop.example.com/logo.png"
    )
    assert load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, "")}).branding == Branding()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("webchat: {colour: red}", "colour"),
        ("webchat: {colour: '#12345'}", "colour"),
        ("webchat: {logo: 'javascript:alert(1)'}", "logo"),
        ("webchat: {title: ''}", "title"),
        ("webchat: {greeting: " + "x" * 301 + "}", "greeting"),
        ("webchat: {font: serif}", "font"),
    ],
)
def test_bad_branding_is_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})


async def test_the_page_shows_the_branding_escaped(make_bot: BotFactory) -> None:
    branding = Branding("<b>Acme</b> & co", "#ff5500", 'Hi "there"', "https://x.example/l.png")
    bot = await make_bot(whatsapp=False, branding=branding)
    page = await (await bot.client.get("/")).text()
    assert "<title>&lt;b&gt;Acme&lt;/b&gt; &amp; co</title>" in page
    assert "--accent: #ff5500;" in page
    assert "Hi &quot;there&quot;" in page
    assert '<img class="logo" src="https://x.example/l.png"' in page
    assert "{{" not in page


SHOP = "https://shop.example.com"
EVIL = "https://evil.example"
VISITOR = "shop-visitor-0123456789"
WA_ID = "447911123456"


async def widget_bot(make_bot: BotFactory) -> Bot:
    return await make_bot(whatsapp=False, tracking_origins=(SHOP,))


async def token_for(bot: Bot, visitor: str | None = VISITOR, origin: str = SHOP) -> str:
    body = {"visitor_id": visitor} if visitor else {}
    response = await bot.client.post(
        "/webchat/token", data=json.dumps(body), headers={"Origin": origin}
    )
    assert response.status == 200, await response.text()
    assert response.headers["Access-Control-Allow-Origin"] == origin
    answer = await response.json()
    assert set(answer) == {"token", "visitor_id", "expires_at"}
    token: str = answer["token"]
    return token


async def open_socket(
    bot: Bot, token: str, origin: str | None = None
) -> tuple[aiohttp.ClientWebSocketResponse, list[dict[str, Any]]]:
    bot.client.session.cookie_jar.clear()  # no cookie: the token alone
    headers = {"Origin": origin} if origin else {}
    socket = await bot.client.ws_connect(f"/webchat/socket?token={token}", headers=headers)
    # A push published just before (the echo of a file) may come ahead of the history.
    history = await socket.receive_json(timeout=5)
    while history["type"] != "history":
        history = await socket.receive_json(timeout=5)
    return socket, history["messages"]


async def next_frame(socket: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await socket.receive_json(timeout=5)
        if frame["type"] == kind and not (
            kind == "message" and frame["message"]["direction"] == "inbound"
        ):
            return frame


async def test_a_tracked_site_s_visitor_chats_under_the_site_s_visitor_id(
    make_bot: BotFactory,
) -> None:
    """The chat and the site's web activity (PS-4) are one visitor, so one profile."""
    bot = await widget_bot(make_bot)
    token = await token_for(bot)
    socket, history = await open_socket(bot, token, origin=SHOP)
    assert history == []
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    assert (await next_frame(socket, "ack"))["id"] == "m1"
    assert (await next_frame(socket, "message"))["message"]["text"] == "Welcome! How can we help?"
    await socket.close()
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, type="message.inbound")
    inbound = sink.events("message.inbound")[0]["data"]
    assert inbound["customer"] == f"vid:{VISITOR}"
    page_view = {"type": "page_view", "url": f"{SHOP}/pricing", "visitor_id": VISITOR}
    posted = await bot.client.post("/t/events", json=page_view, headers={"Origin": SHOP})
    assert posted.status == 202
    activity = await profile_activity(bot.runtime.tracking, inbound["profile"])
    assert activity["visitors"] == [VISITOR]
    assert [event["url"] for event in activity["events"]] == [f"{SHOP}/pricing"]

    # A new page load gets a new token for the same visitor, and the history with it.
    socket, history = await open_socket(bot, await token_for(bot))
    assert [m["text"] for m in history] == ["hi", "Welcome! How can we help?"]
    await socket.close()


async def test_a_page_without_a_visitor_id_gets_a_new_one(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    response = await bot.client.post("/webchat/token", data=b"", headers={"Origin": SHOP})
    first = (await response.json())["visitor_id"]
    response = await bot.client.post("/webchat/token", data=b"{}", headers={"Origin": SHOP})
    assert webchat.visitor_id(first) and (await response.json())["visitor_id"] != first


@pytest.mark.parametrize(
    ("origin", "body", "status"),
    [
        (EVIL, b"{}", 403),
        (None, b"{}", 403),
        ("null", b"{}", 403),
        (SHOP, b"not json", 400),
        (SHOP, b"[]", 400),
        (SHOP, b'{"visitor_id": "short"}', 400),
        (SHOP, b'{"visitor_id": 12345678901234567890}', 400),
        (SHOP, b'{"visitor_id": "a\\nb-0123456789abcdef"}', 400),
        (SHOP, b'{"visitor_id": "' + b"a" * 65 + b'"}', 400),
        (SHOP, b'{"visitor_id": "shop-visitor-0123456789", "admin": true}', 400),
        (SHOP, b'{"x": "' + b"a" * 2000 + b'"}', 413),
    ],
)
async def test_a_token_is_refused_to_other_sites_and_bad_bodies(
    make_bot: BotFactory, origin: str | None, body: bytes, status: int
) -> None:
    bot = await widget_bot(make_bot)
    headers = {"Origin": origin} if origin else {}
    response = await bot.client.post("/webchat/token", data=body, headers=headers)
    assert response.status == status
    assert "error" in await response.json()
    assert "token" not in await response.text()


async def test_the_preflight_answers_the_tracked_sites_only(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    allowed = await bot.client.options("/webchat/token", headers={"Origin": SHOP})
    assert allowed.status == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    refused = await bot.client.options("/webchat/token", headers={"Origin": EVIL})
    assert refused.status == 403 and "Access-Control-Allow-Origin" not in refused.headers


async def test_the_socket_refuses_a_bad_expired_or_misused_token(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    bot.client.session.cookie_jar.clear()
    token = await token_for(bot)
    signer = await bot.runtime.visitor_tokens.signer()
    expired, _ = signer.sign(VISITOR, SHOP, now=time.time() - 8 * 24 * 3600)
    for bad in ("nonsense", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), expired, ""):
        assert (await bot.client.get("/webchat/socket", params={"token": bad})).status == 401
        visitor = await bot.client.get("/webchat/visitor", params={"token": bad})
        assert await visitor.json() == {"visitor": False, "refused": None}
    visitor = await bot.client.get("/webchat/visitor", params={"token": token})
    assert await visitor.json() == {"visitor": True, "refused": None}
    # A token made for the shop's pages does not open a chat from a third site's page.
    stolen = await bot.client.get(
        "/webchat/socket", params={"token": token}, headers={"Origin": EVIL}
    )
    assert stolen.status == 403
    link = (await bot.runtime.links.signer()).sign("p_1", "snd_1", f"{SHOP}/x")
    assert (await bot.client.get("/webchat/socket", params={"token": link})).status == 401


def test_a_visitor_token_names_its_visitor_and_origin_and_nothing_else_passes() -> None:
    signer = VisitorTokenSigner(b"k" * 32)
    token, expires = signer.sign(VISITOR, "https://Shop.Example.com:8443", now=1000.0)
    found = signer.verify(token, now=1000.0)
    assert found is not None
    assert (found.visitor, found.origin, found.expires_at) == (
        VISITOR,
        "https://shop.example.com:8443",
        expires,
    )
    assert signer.verify(token, now=expires) is None
    assert VisitorTokenSigner(b"o" * 32).verify(token, now=1000.0) is None
    for bad in (None, 7, "", "x" * 401, token + "=", token + "A", "é" * 10):
        assert signer.verify(bad, now=1000.0) is None
    for visitor, origin in (("short", SHOP), (VISITOR, "javascript:x"), (VISITOR, f"{SHOP}/p")):
        with pytest.raises(ValueError):
            signer.sign(visitor, origin)


async def test_the_script_is_for_tracked_sites_and_the_panel_frames_only_there(
    make_bot: BotFactory,
) -> None:
    bot = await widget_bot(make_bot)
    script = await bot.client.get("/widget.js", headers={"Referer": f"{SHOP}/shoes?id=1"})
    assert script.status == 200 and script.content_type == "text/javascript"
    source = await script.text()
    assert 'const BASE = "http://127.0.0.1:8080";' in source
    assert "{{" not in source
    assert (await bot.client.get("/widget.js")).status == 200  # no Referer: the token decides
    refused = await bot.client.get("/widget.js", headers={"Referer": f"{EVIL}/page"})
    assert refused.status == 403 and "tracking.origins" in (await refused.json())["error"]
    panel = await bot.client.get("/widget")
    assert panel.status == 200 and "<form" in await panel.text()
    assert panel.headers["Content-Security-Policy"] == f"frame-ancestors 'self' {SHOP}"


async def test_the_panel_opened_in_a_page_of_its_own_chats_by_the_cookie(
    make_bot: BotFactory,
) -> None:
    bot = await widget_bot(make_bot)
    bot.client.session.cookie_jar.clear()
    assert (await bot.client.get("/widget")).status == 200
    socket = await bot.client.ws_connect("/webchat/socket")
    assert (await socket.receive_json(timeout=5))["type"] == "history"
    await socket.close()


async def test_an_origin_that_could_carry_a_directive_is_left_out_of_the_policy(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, tracking_origins=(SHOP, "https://a.example;script-src"))
    panel = await bot.client.get("/widget")
    assert panel.headers["Content-Security-Policy"] == f"frame-ancestors 'self' {SHOP}"


async def test_a_shown_message_is_delivered_and_services_hear_it(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    socket, _ = await open_socket(bot, await token_for(bot))
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    welcome = (await next_frame(socket, "message"))["message"]
    await socket.send_json({"type": "delivered", "ids": [welcome["id"], welcome["id"]]})
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, type="message.status")
    status = sink.events("message.status")[0]["data"]
    assert (status["message_id"], status["status"], status["channel"]) == (
        welcome["id"],
        "delivered",
        "web",
    )
    await socket.close()
    # The history says so, so the page does not confirm it again.
    socket, history = await open_socket(bot, await token_for(bot))
    assert history[1]["status"] == "delivered"
    await socket.close()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"type": "delivered", "ids": ["snd_made_up"]}, "no message"),
        ({"type": "delivered", "ids": "snd_1"}, "list"),
        ({"type": "delivered", "ids": []}, "list"),
        ({"type": "delivered", "ids": [7]}, "no message"),
        ({"type": "delivered", "ids": ["x"] * 101}, "list"),
        ({"type": "typing"}, "expected"),
    ],
)
async def test_a_receipt_for_anything_but_a_message_it_was_sent_is_refused(
    make_bot: BotFactory, frame: dict[str, Any], error: str
) -> None:
    bot = await widget_bot(make_bot)
    socket, _ = await open_socket(bot, await token_for(bot))
    accepted = bot.runtime.meters.value("switchboard_inbound_accepted_total")
    await socket.send_json(frame)
    assert error in (await next_frame(socket, "error"))["error"]
    assert bot.runtime.meters.value("switchboard_inbound_accepted_total") == accepted
    await socket.close()


async def test_a_service_s_typing_shows_in_the_visitor_s_chat(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    token = await bot.runtime.directory.define_token("support")
    socket, _ = await open_socket(bot, await token_for(bot))
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    await next_frame(socket, "message")
    await bot.settle()
    path = f"/v1/conversations/{web_conversation(bot)}/typing"
    answer = await api_call(bot, token, "POST", path, {"agent": "bob"})
    assert (answer.status, answer.json) == (200, {"typing": True, "shown": True})
    assert await next_frame(socket, "typing") == {"type": "typing", "typing": True, "agent": ""}
    answer = await api_call(bot, token, "POST", path, {"typing": False})
    assert await next_frame(socket, "typing") == {"type": "typing", "typing": False, "agent": ""}
    for body, status in (
        ({"typing": "yes"}, 400),
        ({"typing": True, "text": "x"}, 400),
        ({"agent": "x" * 201}, 400),
        ([], 400),
    ):
        assert (await api_call(bot, token, "POST", path, body)).status == status
    assert (await api_call(bot, None, "POST", path, {})).status == 401
    unknown = "/v1/conversations/c_nobody/typing"
    assert (await api_call(bot, token, "POST", unknown, {})).status == 404
    await socket.send_json({"type": "message", "id": "m2", "text": "STOP"})
    await next_frame(socket, "consent")
    await bot.settle()
    assert (await api_call(bot, token, "POST", path, {})).status == 409
    await socket.close()


def web_conversation(bot: Bot, visitor: str = VISITOR) -> str:
    return conversation_id(bot.runtime.settings.web_number, Identity("vid", visitor))


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_service_s_typing_is_telegram_s_chat_action(
    make_bot: BotFactory, framework: str
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        tg = await telegram_bot(make_bot, api, token, framework=framework)
        api.customer_text(CUSTOMER, "hello there", first_name="Cara")
        await api.wait_for_sent(2)
        await tg.bot.settle()
        service = await tg.bot.runtime.directory.define_token("support")
        path = f"/v1/conversations/{tg.conversation()}/typing"
        answer = await api_call(tg.bot, service, "POST", path, {})
        assert (answer.status, answer.json) == (200, {"typing": True, "shown": True})
        assert api.chat_actions == [(CUSTOMER, "typing")]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


async def test_a_visitor_s_image_is_kept_by_reference_and_services_fetch_it(
    make_bot: BotFactory,
) -> None:
    bot = await widget_bot(make_bot)
    token = await token_for(bot)
    socket, _ = await open_socket(bot, token)
    sent = await bot.client.post(
        "/webchat/files",
        params={"token": token, "id": "f1", "filename": "../shoe.png"},
        data=PNG,
        headers={"Content-Type": "image/png"},
    )
    assert sent.status == 201, await sent.text()
    message = (await sent.json())["message"]
    assert (message["id"], message["kind"]) == ("f1", "image")
    assert message["media"]["filename"] == "shoe.png"
    shown = await bot.client.get(path_of(message["media"]["url"]))
    assert (shown.status, await shown.read()) == (200, PNG)
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, type="message.inbound")
    record = sink.events("message.inbound")[0]["data"]["message"]
    assert record["kind"] == "image" and record["media"]["mime_type"] == "image/png"
    service = await bot.runtime.directory.define_token("support")
    fetched = await bot.client.get(
        f"/v1/media/{record['media']['id']}", headers={"Authorization": f"Bearer {service}"}
    )
    assert (fetched.status, await fetched.read()) == (200, PNG)
    await socket.close()
    # After a reload the history shows the image again, by a freshly signed URL.
    socket, history = await open_socket(bot, await token_for(bot))
    assert history[0]["media"]["kind"] == "image"
    assert (await bot.client.get(path_of(history[0]["media"]["url"]))).status == 200
    await socket.close()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.mark.parametrize(
    ("query", "data", "content_type", "status"),
    [
        ({"id": "f1"}, b"MZ\x90\x00", "application/x-msdownload", 415),
        ({"id": "f1"}, b"not a png at all", "image/png", 415),
        ({"id": "f1"}, b"", "image/png", 400),
        ({"id": "f1"}, PNG + b"\x00" * (10 * 1024 * 1024), "image/png", 413),
        ({"id": "a b"}, PNG, "image/png", 400),
        ({"id": "f1", "filename": "x\x01.png"}, PNG, "image/png", 400),
        ({"id": "f1", "token": "nonsense"}, PNG, "image/png", 401),
    ],
    ids=["exe", "not-png", "empty", "too-big", "bad-id", "bad-name", "bad-token"],
)
async def test_a_file_the_chat_cannot_take_is_refused_and_nothing_is_kept(
    make_bot: BotFactory, query: dict[str, str], data: bytes, content_type: str, status: int
) -> None:
    bot = await widget_bot(make_bot)
    params = {"token": await token_for(bot), **query}
    sent = await bot.client.post(
        "/webchat/files",
        params=params,
        data=io.BytesIO(data),
        headers={"Content-Type": content_type},
    )
    assert sent.status == status
    assert "error" in await sent.json()
    assert bot.runtime.meters.value("switchboard_inbound_accepted_total") == 0
    own = f"{bot.runtime.keys.prefix}*md:*"
    assert [key async for key in bot.runtime.redis.scan_iter(match=own)] == []


async def test_a_file_from_another_site_s_page_is_refused_without_a_token(
    make_bot: BotFactory,
) -> None:
    bot = await widget_bot(make_bot)
    await bot.client.get("/")  # the visitor cookie
    for origin, status in ((EVIL, 403), (SHOP, 403), (None, 201)):
        headers = {"Content-Type": "image/png", **({"Origin": origin} if origin else {})}
        sent = await bot.client.post(
            "/webchat/files", params={"id": "f1"}, data=PNG, headers=headers
        )
        assert sent.status == status


async def test_a_service_s_file_shows_in_the_visitor_s_chat(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    service = await bot.runtime.directory.define_token("support")
    socket, _ = await open_socket(bot, await token_for(bot))
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    await next_frame(socket, "message")
    await bot.settle()
    upload = await bot.client.post(
        "/v1/media",
        params={"filename": "invoice.pdf"},
        data=PDF,
        headers={"Authorization": f"Bearer {service}", "Content-Type": "application/pdf"},
    )
    media_id = (await upload.json())["media"]["id"]
    reply = f"/v1/conversations/{web_conversation(bot)}/messages"
    body = {"media": {"type": "document", "id": media_id, "caption": "Your invoice"}}
    answer = await api_call(bot, service, "POST", reply, body)
    assert answer.status == 201, answer.raw
    pushed = (await next_frame(socket, "message"))["message"]
    assert pushed["media"]["kind"] == "document"
    assert (pushed["text"], pushed["media"]["filename"]) == ("Your invoice", "invoice.pdf")
    assert pushed["media"]["type"] == "application/pdf"
    fetched = await bot.client.get(path_of(pushed["media"]["url"]))
    assert (fetched.status, await fetched.read()) == (200, PDF)
    # The timeline keeps the upload by reference, so a reload signs a fresh URL for it.
    timeline = await bot.runtime.conversations.timeline(web_conversation(bot))
    assert webchat.kept_media(timeline[-1]) == media_id
    # A file that is not the caller's upload (or no longer kept) is refused.
    made_up = {"media": {"type": "image", "id": "med_" + "A" * 22}}
    assert (await api_call(bot, service, "POST", reply, made_up)).status == 404
    await socket.close()


async def test_a_service_s_typing_is_whatsapp_s_typing_indicator(make_bot: BotFactory) -> None:
    bot = await make_bot()
    await bot.post_whatsapp(meta_webhooks.text_message(bot.phone_number_id, WA_ID, "hello"))
    await bot.settle()
    wamid = (await bot.runtime.conversations.timeline(bot.conversation(WA_ID)))[0]["id"]
    service = await bot.runtime.directory.define_token("support")
    path = f"/v1/conversations/{bot.conversation(WA_ID)}/typing"
    answer = await api_call(bot, service, "POST", path, {})
    assert (answer.status, answer.json) == (200, {"typing": True, "shown": True})
    assert bot.graph is not None and bot.graph.typing_shown == [wamid]
