"""``POST /webchat/token`` signed a token for any ``visitor_id`` once the request's
``Origin`` named a tracked site, and any HTTP client can send that header: whoever knew or
guessed a visitor's id (a site's ``data-visitor-id``, often its customer number) opened that
visitor's chat, read its history and wrote as them. With ``SWITCHBOARD_VISITOR_SECRET``
set, an id is taken only with the ``visitor_hash`` the site's server made for it, and the
ids the bot makes come with theirs, for the page to keep."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from tests.botprocess import free_port
from tests.conftest import Bot, BotFactory
from tests.test_widget import SHOP, VISITOR, open_socket


def hashed(secret: str, visitor: str) -> str:
    return hmac.new(secret.encode(), visitor.encode(), hashlib.sha256).hexdigest()


async def ask(bot: Bot, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    response = await bot.client.post(
        "/webchat/token", data=json.dumps(body), headers={"Origin": SHOP}
    )
    assert response.headers["Access-Control-Allow-Origin"] == SHOP  # the page reads it
    answer: dict[str, object] = await response.json()
    return response.status, answer


async def test_a_visitor_id_opens_a_chat_only_with_its_hash(make_bot: BotFactory) -> None:
    secret = secrets.token_hex(16)
    bot = await make_bot(whatsapp=False, tracking_origins=(SHOP,), visitor_secret=secret)
    for body in (
        {"visitor_id": VISITOR},
        {"visitor_id": VISITOR, "visitor_hash": hashed("another secret 123", VISITOR)},
        {"visitor_id": VISITOR, "visitor_hash": hashed(secret, VISITOR + "x")},
        {"visitor_id": VISITOR, "visitor_hash": "not hex"},
    ):
        status, answer = await ask(bot, body)
        assert status == 403, body
        assert "visitor_hash" in str(answer["error"]) and "token" not in answer

    right = hashed(secret, VISITOR)
    status, answer = await ask(bot, {"visitor_id": VISITOR, "visitor_hash": right.upper()})
    assert status == 200 and answer["visitor_id"] == VISITOR and answer["visitor_hash"] == right
    socket, history = await open_socket(bot, str(answer["token"]), origin=SHOP)
    assert history == []
    await socket.close()

    # An id the bot makes comes with its hash, which names it again on the next page.
    status, made = await ask(bot, {})
    assert status == 200
    visitor = str(made["visitor_id"])
    assert made["visitor_hash"] == hashed(secret, visitor)
    status, again = await ask(
        bot, {"visitor_id": visitor, "visitor_hash": str(made["visitor_hash"])}
    )
    assert status == 200 and again["visitor_id"] == visitor


async def test_without_the_secret_the_answer_has_no_hash(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, tracking_origins=(SHOP,))
    status, answer = await ask(bot, {"visitor_id": VISITOR, "visitor_hash": "ab" * 32})
    assert status == 200 and set(answer) == {"token", "visitor_id", "expires_at"}


@pytest.mark.browser
async def test_the_widget_names_the_site_s_signed_id_and_keeps_the_bot_s(
    make_bot: BotFactory,
) -> None:
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS  # skips where there is no Chromium

    secret = secrets.token_hex(16)
    port, bot_port = free_port(), free_port()
    shop = f"http://127.0.0.1:{port}"
    base = f"http://127.0.0.1:{bot_port}"
    await make_bot(
        whatsapp=False,
        tracking_origins=(shop,),
        port=bot_port,
        public_url=base,
        visitor_secret=secret,
    )
    signed = "customer-000000000042"

    async def signed_page(request: web.Request) -> web.Response:
        tag = (
            f'<script src="{base}/widget.js" data-visitor-id="{signed}"'
            f' data-visitor-hash="{hashed(secret, signed)}" async></script>'
        )
        return web.Response(text=f"<!doctype html><h1>Account</h1>{tag}", content_type="text/html")

    async def plain_page(request: web.Request) -> web.Response:
        # A visitor id kept before the bot checked ids: it has no hash.
        stale = "<script>localStorage.setItem('sb_vid', 'kept-before-0123456789')</script>"
        tag = f'<script src="{base}/widget.js" async></script>'
        return web.Response(text=f"<!doctype html>{stale}{tag}", content_type="text/html")

    site = web.Application()
    site.router.add_get("/account", signed_page)
    site.router.add_get("/", plain_page)
    server = TestServer(site, host="127.0.0.1", port=port)
    await server.start_server()
    token = lambda answer: answer.url.endswith("/webchat/token") and answer.ok  # noqa: E731
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{shop}/account")
            await page.wait_for_function("window.Switchboard && window.Switchboard.widget")
            async with page.expect_response(token) as told:
                await page.evaluate("Switchboard.open()")
            assert (await (await told.value).json())["visitor_id"] == signed

            context = await browser.new_context()  # another browser's storage
            plain = await context.new_page()
            await plain.goto(f"{shop}/")
            await plain.wait_for_function("window.Switchboard && window.Switchboard.widget")
            async with plain.expect_response(token) as told:
                await plain.evaluate("Switchboard.open()")
            made = await (await told.value).json()
            assert made["visitor_id"] != "kept-before-0123456789"
            assert made["visitor_hash"] == hashed(secret, made["visitor_id"])
            kept = await plain.evaluate(
                "[localStorage.getItem('sb_vid'), localStorage.getItem('sb_vhash')]"
            )
            assert kept == [made["visitor_id"], made["visitor_hash"]]
            await plain.frame_locator("#switchboard-widget iframe").locator("#composer").wait_for()
        finally:
            await browser.close()
            await server.close()
