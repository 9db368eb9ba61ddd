"""The web chat over its socket: welcome, keyword answers, history, and frames it must refuse."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from tests.conftest import Bot, BotFactory


async def open_chat(bot: Bot) -> tuple[aiohttp.ClientWebSocketResponse, list[dict[str, Any]]]:
    """Visit the page (which issues the visitor cookie), open the socket, read the history."""
    page = await bot.client.get("/")
    assert page.status == 200
    assert "<form" in await page.text()
    socket = await bot.client.ws_connect("/webchat/socket")
    history = await socket.receive_json(timeout=5)
    assert history["type"] == "history"
    return socket, history["messages"]


async def next_message(
    socket: aiohttp.ClientWebSocketResponse, *, echoes: bool = False
) -> dict[str, Any]:
    """The next message frame; the echo of the visitor's own message is skipped unless asked."""
    while True:
        frame = await socket.receive_json(timeout=5)
        if frame["type"] == "message" and (echoes or frame["message"]["direction"] != "inbound"):
            message: dict[str, Any] = frame["message"]
            return message


async def test_a_visitor_says_hi_and_gets_the_welcome(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, history = await open_chat(bot)
    assert history == []
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    assert (await next_message(socket))["text"] == "Welcome! How can we help?"
    await socket.send_json({"type": "message", "id": "m2", "text": "What are your HOURS?"})
    assert (await next_message(socket))["text"] == "We open at 9."
    await socket.close()
    await bot.sinks["support"].wait_for_count(1, type="message.inbound")
    inbound = bot.sinks["support"].events("message.inbound")[0]
    assert inbound["data"]["channel"] == "web"
    assert inbound["data"]["customer"].startswith("vid:")


async def test_the_history_comes_back_on_reconnect(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    await next_message(socket)
    await socket.close()
    socket = await bot.client.ws_connect("/webchat/socket")
    history = (await socket.receive_json(timeout=5))["messages"]
    assert (history[0]["direction"], history[0]["id"]) == ("inbound", "m1")
    assert [m["text"] for m in history] == ["hi", "Welcome! How can we help?"]
    await socket.close()


async def test_a_resent_frame_is_stored_once(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    for _ in range(3):
        await socket.send_json({"type": "message", "id": "same", "text": "hi"})
    await next_message(socket)
    await bot.settle()
    await socket.close()
    assert bot.runtime.meters.value("switchboard_inbound_accepted_total") == 1
    assert bot.runtime.meters.value("switchboard_inbound_duplicates_total") == 2


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "JSON"),
        ("[]", "expected"),
        (json.dumps({"type": "typing"}), "expected"),
        (json.dumps({"type": "message", "id": "a b", "text": "hi"}), "id"),
        (json.dumps({"type": "message", "id": "x" * 65, "text": "hi"}), "id"),
        (json.dumps({"type": "message", "id": "ok", "text": "   "}), "text"),
        (json.dumps({"type": "message", "id": "ok", "text": 42}), "text"),
        (json.dumps({"type": "message", "id": "ok", "text": "x" * 4097}), "longer"),
    ],
)
async def test_bad_frames_get_an_error_and_store_nothing(
    make_bot: BotFactory, frame: str, error: str
) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_str(frame)
    reply = await socket.receive_json(timeout=5)
    assert reply["type"] == "error"
    assert error in reply["error"]
    # the socket stays usable after a refusal
    await socket.send_json({"type": "message", "id": "fine", "text": "hi"})
    assert (await next_message(socket))["text"] == "Welcome! How can we help?"
    await socket.close()
    assert bot.runtime.meters.value("switchboard_inbound_accepted_total") == 1


async def test_an_oversized_frame_closes_the_socket_and_the_bot_goes_on(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_str("x" * (70 * 1024))
    closed = await socket.receive(timeout=5)
    assert closed.type in (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.CLOSING,
    )
    await socket.close()
    assert bot.runtime.meters.value("switchboard_inbound_accepted_total") == 0
    assert (await bot.client.get("/healthz")).status == 200


async def test_the_socket_needs_the_visitor_cookie(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    bot.client.session.cookie_jar.clear()
    response = await bot.client.get("/webchat/socket")
    assert response.status == 400
    bot.client.session.cookie_jar.update_cookies({"sb_vid": "short"})
    assert (await bot.client.get("/webchat/socket")).status == 400


async def test_two_visitors_have_two_conversations(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    first, _ = await open_chat(bot)
    await first.send_json({"type": "message", "id": "m1", "text": "hi"})
    await next_message(first)
    await first.close()
    bot.client.session.cookie_jar.clear()
    second, history = await open_chat(bot)
    assert history == []
    await second.send_json({"type": "message", "id": "m1", "text": "hi"})
    assert (await next_message(second))["text"] == "Welcome! How can we help?"
    await second.close()
    conversations = await bot.runtime.conversations.list_for_number("web:site")
    assert len(conversations) == 2


async def test_a_visitors_other_tabs_show_what_one_tab_sent(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    first, _ = await open_chat(bot)
    second = await bot.client.ws_connect("/webchat/socket")
    await second.receive_json(timeout=5)  # its history
    await first.send_json({"type": "message", "id": "m1", "text": "hi"})
    echoed = await next_message(second, echoes=True)
    assert (echoed["direction"], echoed["id"], echoed["text"]) == ("inbound", "m1", "hi")
    assert (await next_message(second))["text"] == "Welcome! How can we help?"
    await first.close()
    await second.close()


async def visitor_says_hi(bot: Bot) -> dict[str, Any]:
    """A new visitor says "hi" and is answered; the ``message.inbound`` support got."""
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    await next_message(socket)
    await socket.close()
    # The fan-out and the reply to the visitor travel apart: either may arrive first.
    await bot.sinks["support"].wait_for_count(1, "message.inbound")
    (event,) = bot.sinks["support"].events("message.inbound")
    return event


async def test_a_visitor_gets_a_profile_keyed_by_the_visitor_id(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    event = await visitor_says_hi(bot)
    visitor = event["data"]["customer"]
    profile = await bot.runtime.profiles.get(event["data"]["profile"])
    assert profile["identities"] == [visitor]
    assert profile["source"] == "web"


async def test_the_config_file_sets_the_web_chat_s_opt_out_words(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, keywords={"web": {"stop": ("BASTA",)}})
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "STOP"})
    await socket.send_json({"type": "message", "id": "m2", "text": "basta"})
    echoed = []
    while (frame := await socket.receive_json(timeout=5))["type"] != "consent":
        if frame["type"] == "message" and frame["message"]["direction"] == "inbound":
            echoed.append(frame["message"]["id"])
    # STOP is replaced, so the first opt-out comes after the echo of "basta", not of "STOP"
    assert (echoed, frame["opted_out"]) == (["m1", "m2"], True)
    await bot.settle()
    await socket.close()
    cid = (await bot.runtime.conversations.list_for_number("web:site"))[0]
    assert (await bot.runtime.conversations.meta(cid))["opted_out"] == "1"
