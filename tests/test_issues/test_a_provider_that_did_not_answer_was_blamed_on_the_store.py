"""A service fetching a customer's file (``GET /v1/media/{ref}``) from a provider whose
file server did not answer got a 503 "temporarily unable to take this request" after
20 s, and the log said the store failed, though Redis was fine. A file the provider
streamed without a Content-Length for longer than that was never delivered. The store's
deadline bounded the provider's wait: a provider that does not answer is now the
documented 502, on ``/live/api/media/{ref}`` alike, and a slow file comes whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import adapters.files
import bot.http.errors
from tests.conftest import BotFactory
from tests.test_api import call
from tests.test_media_inbound import PNG, fetch, wait_for_event
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot_with


@pytest.fixture
async def sms(make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SMSBot]:
    """An SMS bot whose calls wait 1 s on the store, and whose fetches of customers' files
    wait 2 s for each piece of the provider's answer."""
    monkeypatch.setattr(bot.http.errors, "STORE_SECONDS", 1.0)
    timeout = aiohttp.ClientTimeout(total=30, connect=2, sock_read=2)
    monkeypatch.setattr(adapters.files, "FETCH_TIMEOUT", timeout)
    async with sms_bot_with(make_bot) as found:
        yield found


async def customer_sends(sms: SMSBot, data: bytes) -> dict[str, Any]:
    """A customer's MMS with ``data``; its ``message.inbound`` event's data."""
    sid = "MM" + "ab" * 16
    url = sms.twilio.add_media(sid, data, "image/png")
    form, signature = sms.twilio.signed_inbound(
        sms.url, CUSTOMER, OURS, "a photo", media=[(url, "image/png")], sid=sid
    )
    headers = {"X-Twilio-Signature": signature}
    assert (await sms.bot.client.post("/webhooks/sms", data=form, headers=headers)).status == 200
    event = await wait_for_event(sms.bot.sinks["support"], "message.inbound")
    found: dict[str, Any] = event["data"]
    return found


async def test_a_provider_that_does_not_answer_is_a_502(
    sms: SMSBot, caplog: pytest.LogCaptureFixture
) -> None:
    data = await customer_sends(sms, PNG)
    ref = data["message"]["media"]["ref"]
    token = await sms.bot.runtime.directory.define_token("support")
    issued = await call(
        sms.bot, token, "POST", "/v1/live-tokens", {"profile": data["profile"], "agent": "ann"}
    )
    assert issued.status == 201, issued.raw
    live = {"Authorization": f"Bearer {issued.json['token']}"}
    sms.twilio.media_held = asyncio.Event()  # Twilio's file server stalls
    try:
        async with asyncio.timeout(15):
            status, body, _ = await fetch(sms.bot, token, ref)
            assert (status, b"retry later" in body) == (502, True)
            async with sms.bot.client.get(f"/live/api/media/{ref}", headers=live) as answer:
                assert answer.status == 502
    finally:
        sms.twilio.media_held.set()
    said = [record.getMessage() for record in caplog.records]
    assert [line for line in said if "from its provider failed" in line], said
    assert not [line for line in said if "store" in line], said


async def test_a_slow_file_without_a_length_comes_whole(sms: SMSBot) -> None:
    big = PNG + b"\x00" * (1024 * 1024 - len(PNG))
    sms.twilio.chunked_media = True
    sms.twilio.media_pause = 0.4  # 4 pieces: 1.6 s, past the store's deadline
    data = await customer_sends(sms, big)
    token = await sms.bot.runtime.directory.define_token("support")
    async with asyncio.timeout(15):
        found = await fetch(sms.bot, token, data["message"]["media"]["ref"])
    assert found == (200, big, "image/png")
