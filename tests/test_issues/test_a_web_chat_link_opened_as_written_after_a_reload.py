"""In the web chat a link of a reply shows as written and opens its tracked link; but once
the page was reloaded (or the socket connected again, or another tab opened), the history
it was shown carried no tracked links: the same bubble opened the address itself, and the
visitor's click was neither counted nor joined to their profile. The history carries each
reply's tracked links as the live message did; a link a customer's answer put in an
automated text is still never tracked."""

from __future__ import annotations

from typing import Any

from bot.config.automation import automation_settings
from tests.conftest import Bot, BotFactory
from tests.test_api import call
from tests.test_webchat import next_message, open_chat

PRICES = "https://shop.example.com/prices"
SALE = "https://shop.example.com/sale"


async def reopened(bot: Bot) -> list[dict[str, Any]]:
    """The history a reloaded page is shown."""
    socket = await bot.client.ws_connect("/webchat/socket")
    frame = await socket.receive_json(timeout=5)
    await socket.close()
    assert frame["type"] == "history"
    return list(frame["messages"])


async def opens(bot: Bot, tracked: str) -> str:
    """Where a tracked link of the page sends the browser."""
    response = await bot.client.get(
        tracked.removeprefix("http://chat.example.com"), allow_redirects=False
    )
    assert response.status == 302, tracked
    return response.headers["Location"]


async def test_the_history_opens_each_reply_s_tracked_links(make_bot: BotFactory) -> None:
    site = {
        "start": ["site"],
        "steps": [{"id": "url", "ask": "Your site?"}],
        "end": f"{{url}}: see {PRICES}",
    }
    automation = automation_settings(
        {"welcome": f"Welcome! Our prices: {PRICES}.", "flows": {"site": site}}
    )
    bot = await make_bot(
        whatsapp=False,
        automation=automation,
        links=True,
        public_url="http://chat.example.com",
    )
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    live = await next_message(socket)
    assert live["links"][PRICES].startswith("http://chat.example.com/l/")
    await bot.sinks["support"].wait_for_count(1, type="message.inbound")
    cid = bot.sinks["support"].events("message.inbound")[0]["data"]["conversation_id"]
    token = await bot.runtime.directory.define_token("support")
    sent = await call(
        bot, token, "POST", f"/v1/conversations/{cid}/messages", {"text": f"Hi! {SALE}"}
    )
    assert sent.status in (200, 201, 202), sent.raw
    assert (await next_message(socket))["text"] == f"Hi! {SALE}"
    await socket.send_json({"type": "message", "id": "m2", "text": "site"})
    assert (await next_message(socket))["text"] == "Your site?"
    await socket.send_json({"type": "message", "id": "m3", "text": "https://evil.example.net/x"})
    echoed = await next_message(socket)
    assert "https://evil.example.net/x" not in echoed.get("links", {})
    await socket.close()

    history = {m["text"]: m for m in await reopened(bot) if m["direction"] == "outbound"}
    welcome = history[f"Welcome! Our prices: {PRICES}."]
    assert await opens(bot, welcome["links"][PRICES]) == PRICES
    assert await opens(bot, history[f"Hi! {SALE}"]["links"][SALE]) == SALE
    answered = history[echoed["text"]]
    assert set(answered["links"]) == {PRICES}  # the customer's own link stays as written
