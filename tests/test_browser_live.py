"""The live chat view in a real headless Chromium, against a ``python bot.py`` process with
WhatsApp on the Graph API emulator and services on webhook sinks: an agent reads, claims,
replies with emoji, buttons and an attachment, sends a template outside the 24-hour
window and starts a new conversation; everything the page received is scanned for the
masked words; an expired or forged token shows nothing. One bot for the module."""

from __future__ import annotations

import asyncio
import functools
import re
import secrets
import struct
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect
from redis.asyncio import Redis

from bot.core.livetokens import LiveTokenSigner
from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.botprocess import BotProcess
from tests.conftest import PHONE_NUMBER_ID, REDIS_URL
from tests.emulators import meta_webhooks as meta
from tests.test_browser import TIMEOUT_MS, launched_chromium
from tests.whatsapp_process import WhatsAppSetup, whatsapp_setup

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

NUMBER = f"wa:{PHONE_NUMBER_ID}"
ANN, LATE, NEW_PHONE = "447911000101", "447911000102", "+447911000103"
SHARER = "447911000104"
SECRET = "WOMBAT-5521"
"""What sales writes: the support agent's page must never receive it."""
TEMPLATE = {
    "name": "order_update",
    "language": "en_US",
    "text": "Your order {{1}} is {{2}}.",
    "variables": ["order number", "status"],
}
# Everything the page reads, kept as it arrives: each fetch's body and each streamed event.
RECORD_WHAT_ARRIVES = """
window.__received = [];
const fetched = window.fetch;
window.fetch = async (...args) => {
  const answer = await fetched(...args);
  answer.clone().text().then((text) => window.__received.push(text));
  return answer;
};
const Source = window.EventSource;
window.EventSource = class extends Source {
  constructor(url, options) {
    super(url, options);
    for (const kind of ["message", "ready", "expired"]) {
      this.addEventListener(kind, (event) => window.__received.push(event.data));
    }
  }
};
"""


@dataclass
class Live:
    bot: BotProcess
    whatsapp: WhatsAppSetup
    tokens: dict[str, str]
    link_secret: str
    prefix: str

    async def api(self, service: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[service]}"}
        async with (
            aiohttp.ClientSession() as client,
            client.request(method, self.bot.url + path, json=body, headers=headers) as answer,
        ):
            found = await answer.json()
            assert answer.status < 300, (path, found)
            return found

    async def say(self, wa_id: str, text: str, timestamp: int | None = None) -> None:
        payload = meta.text_message(PHONE_NUMBER_ID, wa_id, text, timestamp=timestamp)
        raw, headers = self.whatsapp.signed(payload)
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{self.bot.url}/webhooks/whatsapp", data=raw, headers=headers) as answer,
        ):
            assert answer.status == 200
        # processed: a service heard of it
        await self.whatsapp.sink.wait_for(
            lambda deliveries: any(
                wa_id in str(d.event) and text in str(d.event) for d in deliveries
            )
        )

    async def send(self, payload: Any) -> None:
        raw, headers = self.whatsapp.signed(payload)
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{self.bot.url}/webhooks/whatsapp", data=raw, headers=headers) as answer,
        ):
            assert answer.status == 200

    async def page_url(self, service: str, profile: str, agent: str) -> str:
        issued = await self.api(
            service, "POST", "/v1/live-tokens", {"profile": profile, "agent": agent}
        )
        return str(issued["url"])


async def until(check: Any, timeout: float = 10.0) -> Any:
    """Wait for ``check()`` to be true (it may be async)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if hasattr(found, "__await__"):
            found = await found
        if found:
            return found
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live() -> AsyncIterator[Live]:
    prefix = f"test:{secrets.token_hex(6)}:"
    admin, link_secret = secrets.token_hex(16), secrets.token_hex(24)
    async with whatsapp_setup(prefix) as whatsapp:
        env = {
            **whatsapp.env,
            "SWITCHBOARD_ADMIN_TOKEN": admin,
            "SWITCHBOARD_LINK_SECRET": link_secret,
        }
        config = {
            "delivery": whatsapp.config["delivery"],
            "runtime_service": False,
            "templates": [TEMPLATE],
        }
        bot = BotProcess(env=env, config=config)
        try:
            bot.start()
            tokens = {}
            for name in ("support", "sales"):
                body = {"name": name, "url": whatsapp.config["services"][0]["url"]}
                body |= {"secret": whatsapp.env["SINK_SECRET"], "numbers": [NUMBER]}
                async with (
                    aiohttp.ClientSession() as client,
                    client.post(
                        f"{bot.url}/v1/services",
                        json=body,
                        headers={"Authorization": f"Bearer {admin}"},
                    ) as answer,
                ):
                    assert answer.status == 201, await answer.text()
                    tokens[name] = (await answer.json())["token"]
            yield Live(bot, whatsapp, tokens, link_secret, prefix)
        finally:
            bot.stop()
            if bot.log_path.exists():
                print(bot.output())
            bot.close()
            redis = Redis.from_url(REDIS_URL, decode_responses=True)
            keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


async def open_page(browser: Browser, url: str) -> Page:
    context = await browser.new_context()
    await context.add_init_script(RECORD_WHAT_ARRIVES)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(url)
    return page


def bubbles(page: Page) -> Any:
    return page.locator("#log .msg")


async def test_an_agent_runs_a_whole_conversation_from_the_live_view(
    live: Live, browser: Browser
) -> None:
    graph = live.whatsapp.graph
    await live.say(ANN, "hello, where is my order?")
    page = await open_page(browser, await live.page_url("support", f"wa:{ANN}", "alice"))
    await expect(page.locator("#status")).to_have_text("live · alice of support")
    await expect(bubbles(page).first).to_contain_text("hello, where is my order?")
    await expect(page.locator("#holder")).to_have_text("Nobody holds this conversation.")

    await page.locator("#claim-button").click()
    await expect(page.locator("#holder")).to_contain_text("You hold this conversation")

    # Another service's agent claims and replies: the page hears it live, and masked.
    cid = (await live.api("sales", "GET", "/v1/conversations"))["conversations"][0]["id"]
    await live.api("sales", "POST", f"/v1/conversations/{cid}/claim", {"agent": "bob"})
    await live.api("sales", "POST", f"/v1/conversations/{cid}/messages", {"text": SECRET})
    await expect(page.locator("#holder")).to_contain_text("bob of sales holds")
    await expect(page.locator("#log .msg.masked")).to_have_count(1)
    await expect(page.locator("#log .msg.masked")).to_contain_text("A reply from sales")

    # A reply with an emoji: sent once, with the collision warning naming bob.
    await page.locator("#text").fill("Let me check for you ")
    await page.get_by_role("button", name="Insert 👍").click()
    await page.locator("#reply button[type=submit]").click()
    await expect(page.locator("#warning")).to_contain_text("bob of sales")
    sent = await graph.wait_for_sent(2)
    assert sent[-1].text == "Let me check for you 👍"

    await page.locator("#text").fill("Which day suits you?")
    await page.locator("#choices").fill("Monday, Tuesday")
    await page.get_by_role("button", name="Send with buttons").click()
    sent = await graph.wait_for_sent(3)
    assert [title for _, title in sent[-1].choices] == ["Monday", "Tuesday"]
    await expect(page.locator("#log .chips span")).to_have_text(["Monday", "Tuesday"])

    # A file from the agent's computer: kept in the media store, then uploaded to WhatsApp
    # and sent as its document message.
    pdf = b"%PDF-1.4 invoice 17"
    files = {"name": "invoice-17.pdf", "mimeType": "application/pdf", "buffer": pdf}
    await page.locator("#media-file").set_input_files(files)
    await page.locator("#media-caption").fill("Your invoice")
    await page.get_by_role("button", name="Send attachment").click()
    sent = await graph.wait_for_sent(4)
    document = sent[-1].body["document"]
    assert (document["filename"], document["caption"]) == ("invoice-17.pdf", "Your invoice")
    assert graph.media.media[document["id"]].data == pdf  # what WhatsApp got is the file
    await page.locator("#media-type").select_option("image")
    await page.locator("#media-url").fill("https://files.example.com/parcel.png")
    await page.get_by_role("button", name="Send attachment").click()
    sent = await graph.wait_for_sent(5)
    assert sent[-1].body["image"] == {"link": "https://files.example.com/parcel.png"}

    await live.say(ANN, "Tuesday please")  # the customer's answer shows without a reload
    await expect(bubbles(page).last).to_contain_text("Tuesday please")
    await expect(page.locator("#release-button")).to_be_hidden()  # bob's claim, not hers
    await live.api("sales", "POST", f"/v1/conversations/{cid}/release", {"agent": "bob"})
    await expect(page.locator("#holder")).to_have_text("Nobody holds this conversation.")
    await page.locator("#claim-button").click()
    await expect(page.locator("#holder")).to_contain_text("You hold this conversation")
    await page.locator("#release-button").click()
    await expect(page.locator("#holder")).to_have_text("Nobody holds this conversation.")

    received = "\n".join(await page.evaluate("window.__received"))
    assert '"masked":true' in received  # the stream carried sales' reply, masked
    assert SECRET not in received
    assert SECRET not in await page.content()
    assert live.tokens["support"] not in received + page.url  # the API token never shows
    await page.context.close()


async def test_outside_the_window_only_a_template_is_offered(live: Live, browser: Browser) -> None:
    await live.say(LATE, "hi", timestamp=int(time.time()) - 25 * 3600)
    page = await open_page(browser, await live.page_url("support", f"wa:{LATE}", "alice"))
    await expect(page.locator("#why")).to_contain_text("only an approved template")
    await expect(page.locator("#reply")).to_be_hidden()
    await expect(page.locator("#extras")).to_be_hidden()
    await expect(page.locator("#template-text")).to_have_text("Your order {{1}} is {{2}}.")
    await page.get_by_label("order number").fill("A-17")
    await page.get_by_label("status").fill("on its way")
    await page.get_by_role("button", name="Send template").click()
    await expect(page.locator("#log .msg.outbound")).to_have_text(
        [re.compile(r"\[template order_update\]")]
    )
    sent = await until(lambda: [s for s in live.whatsapp.graph.sent if s.to == LATE])
    assert sent[0].body["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "A-17"},
        {"type": "text", "text": "on its way"},
    ]
    await page.context.close()


async def test_a_new_conversation_starts_with_a_template(live: Live, browser: Browser) -> None:
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    profiles = ProfileStore(redis, Keys(live.prefix))
    profile = await profiles.resolve([Identity("phone", NEW_PHONE)], channel="import")
    await redis.aclose()
    page = await open_page(browser, await live.page_url("support", profile, "alice"))
    await expect(page.locator("#start")).to_be_visible()
    await expect(page.locator("#start-number option")).to_have_text([NUMBER])
    await page.locator("#start-variables").get_by_label("order number").fill("B-2")
    await page.locator("#start-variables").get_by_label("status").fill("ready")
    await page.get_by_role("button", name="Start conversation").click()
    await expect(page.locator("#tabs [role=tab]")).to_have_text([f"whatsapp · wa:{NEW_PHONE[1:]}"])
    await expect(page.locator("#log .msg.outbound")).to_have_count(1)
    sent = await until(lambda: [s for s in live.whatsapp.graph.sent if s.to == NEW_PHONE[1:]])
    assert (sent[0].type, sent[0].body["template"]["name"]) == ("template", "order_update")
    await page.context.close()


def heard(calls: list[str], request: Any) -> None:
    calls.append(request.url)


async def test_an_expired_or_forged_token_shows_nothing(live: Live, browser: Browser) -> None:
    await live.say(ANN, "hello, where is my order?")  # her profile, whichever test ran before
    good = await live.page_url("support", f"wa:{ANN}", "alice")
    profile = good.split("profile=")[1].split("&")[0]
    expired, _ = LiveTokenSigner(live.link_secret.encode()).issue("support", profile, "alice", -1)
    forged, _ = LiveTokenSigner(b"f" * 32).issue("support", profile, "alice", 600)
    for token in (expired, forged, good.split("token=")[1][:-3] + "abc"):
        context = await browser.new_context()
        page = await context.new_page()
        calls: list[str] = []
        page.on("request", functools.partial(heard, calls))
        answer = await page.goto(f"{live.bot.url}/live?profile={profile}&token={token}")
        assert answer is not None and answer.status == 401
        text = await page.locator("body").inner_text()
        assert "expired or is not valid" in text
        assert "hello" not in text and ANN not in text and profile not in text
        assert [url for url in calls if "/live/api/" in url] == []
        await context.close()


def png(width: int, height: int) -> bytes:
    """A real PNG the browser can draw: a grey image of that size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def test_a_photo_a_place_a_contact_and_a_reaction_show_as_what_they_are(
    live: Live, browser: Browser
) -> None:
    await live.say(SHARER, "my parcel?")
    conversations = (await live.api("support", "GET", "/v1/conversations"))["conversations"]
    cid = next(c["id"] for c in conversations if c["customer"] == f"wa:{SHARER}")
    await live.api(
        "support", "POST", f"/v1/conversations/{cid}/messages", {"text": "It left today"}
    )

    async def replied() -> Any:
        found = await live.api("support", "GET", f"/v1/conversations/{cid}")
        return [m.get("provider_id") for m in found["messages"] if m.get("provider_id")]

    ours = (await until(replied))[0]
    photo = live.whatsapp.graph.media.add_media(png(40, 30), "image/png", PHONE_NUMBER_ID)
    for payload in (
        meta.image_message(
            PHONE_NUMBER_ID, SHARER, photo, caption="the box", mime_type="image/png"
        ),
        meta.location_message(
            PHONE_NUMBER_ID, SHARER, 51.5033, -0.1196, place="Depot", address="1 Quay St"
        ),
        meta.contacts_message(
            PHONE_NUMBER_ID, SHARER, [meta.contact_card("Bo Lee", [("+44 7911 000999", None)])]
        ),
        meta.reaction_message(PHONE_NUMBER_ID, SHARER, ours, "👍"),
    ):
        await live.send(payload)
    page = await open_page(browser, await live.page_url("support", f"wa:{SHARER}", "alice"))
    inbound = page.locator("#log .msg.inbound")
    await expect(inbound).to_have_count(5)
    image = inbound.nth(1).locator("img")
    await expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    assert await until(lambda: image.evaluate("img => img.complete && img.naturalWidth")) == 40
    await expect(inbound.nth(1)).to_contain_text("the box")
    await expect(inbound.nth(2)).to_contain_text("Depot, 1 Quay St")
    map_link = inbound.nth(2).locator("a.map")
    await expect(map_link).to_have_attribute("href", re.compile(r"mlat=51\.5033&mlon=-0\.1196"))
    await expect(inbound.nth(3).locator(".card")).to_contain_text("Bo Lee")
    await expect(inbound.nth(3).locator(".card")).to_contain_text("+44 7911 000999")
    await expect(inbound.nth(4)).to_contain_text("Reacted 👍 to “It left today”")
    assert not [t for t in await inbound.all_inner_texts() if "[" in t]  # no "[location]"
    await page.context.close()
