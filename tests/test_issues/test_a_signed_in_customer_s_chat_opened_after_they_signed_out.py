"""The widget kept the visitor id a site's page named (``data-visitor-id``, its signed-in
customer), and its ``data-visitor-hash``, in the site's ``localStorage``, and named them
again on every later page of the browser that named none: after the customer signed out,
whoever used the browser next opened the chat and read their conversation (the hash let it
through ``SWITCHBOARD_VISITOR_SECRET`` too). A site's named id is used on its page alone
now; a page without one chats as the browser's own visitor."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pytest
from playwright.async_api import expect

from tests.botprocess import free_port
from tests.conftest import BotFactory

pytestmark = pytest.mark.browser

CUSTOMER = "customer-000000000077"
PRIVATE = "I am customer 77, my address is 1 Main Street"


async def test_a_page_without_the_site_s_id_opens_no_signed_in_chat(
    make_bot: BotFactory,
) -> None:
    from tests.test_browser import TIMEOUT_MS, launched_chromium, shop_site  # skips without it

    secret = secrets.token_hex(16)
    port, bot_port = free_port(), free_port()
    shop, base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bot_port}"
    await make_bot(
        whatsapp=False,
        tracking_origins=(shop,),
        port=bot_port,
        public_url=base,
        visitor_secret=secret,
    )
    signed = hmac.new(secret.encode(), CUSTOMER.encode(), hashlib.sha256).hexdigest()

    account = (
        f'<!doctype html><h1>Account</h1><script src="{base}/widget.js"'
        f' data-visitor-id="{CUSTOMER}" data-visitor-hash="{signed}" async></script>'
    )  # signed in
    home = f'<!doctype html><h1>Shop</h1><script src="{base}/widget.js" async></script>'
    pages = {"/account": account, "/": home}  # "/": signed out
    async with shop_site(port, pages), launched_chromium() as browser:
        page = await (await browser.new_context()).new_page()  # one browser, two people
        await page.goto(f"{shop}/account")
        await page.wait_for_function("window.Switchboard && window.Switchboard.widget")
        await page.evaluate("Switchboard.open()")
        chat = page.frame_locator("#switchboard-widget iframe")
        await expect(chat.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
        await chat.locator("#text").fill(PRIVATE)
        await chat.locator("#text").press("Enter")
        await expect(chat.locator("#log .msg.outbound")).to_have_count(1, timeout=TIMEOUT_MS)

        await page.evaluate("Switchboard.close(); sessionStorage.clear()")
        await page.goto(f"{shop}/")  # signed out: the page names nobody
        await page.wait_for_function("window.Switchboard && window.Switchboard.widget")
        assert await page.evaluate("Switchboard.visitorId()") != CUSTOMER
        await page.evaluate("Switchboard.open()")
        chat = page.frame_locator("#switchboard-widget iframe")
        await expect(chat.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
        await expect(chat.locator("#hint")).to_be_visible()  # a chat with nothing in it
        await expect(chat.locator("#log")).not_to_contain_text(PRIVATE)
