"""Customers' files stay with their provider: a ``message.inbound`` event names each one by
a ``ref``, and ``GET /v1/media/{ref}`` fetches it with the number's credentials (Meta's
media URL, Telegram's getFile, Twilio's MediaUrl) for a service attached to the number."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.model import Service
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_api import WA_ID, Shared, shared_number, wait_for_event
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot  # noqa: F401 (a fixture)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
OGG = b"OggS" + b"\x01" * 300


async def fetch(bot: Bot, token: str, ref: str) -> tuple[int, bytes, str]:
    headers = {"Authorization": f"Bearer {token}"}
    async with bot.client.get(f"/v1/media/{ref}", headers=headers) as response:
        return response.status, await response.read(), response.headers.get("Content-Type", "")


async def outsider(bot: Bot) -> str:
    """A service's token, of a service attached to no number."""
    service = Service("outsider", "http://127.0.0.1:9/hooks", "s" * 32)
    return await bot.runtime.directory.define(service, with_token=True)


async def visitor_sends_a_file(bot: Bot, page_id: str, name: str) -> dict[str, Any]:
    """A web chat visitor (the page's cookie) sends PNG; the answer's message, as the page
    gets it, once the services were told of it."""
    assert (await bot.client.get("/")).status == 200  # the visitor's cookie
    origin = str(bot.client.make_url("/")).rstrip("/")
    sent = await bot.client.post(
        "/webchat/files",
        params={"id": page_id, "filename": name},
        data=PNG,
        headers={"Content-Type": "image/png", "Origin": origin},
    )
    assert sent.status == 201, await sent.text()
    message: dict[str, Any] = (await sent.json())["message"]
    return message


@contextlib.asynccontextmanager
async def telegram_files_bot(
    make_bot: BotFactory, framework: str = "aiogram"
) -> AsyncIterator[tuple[Bot, TelegramAPIEmulator, str]]:
    """A bot on Telegram's emulator, its API, and the token of ``support``, a service of
    its number."""
    from bot.config.settings import TelegramSettings

    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        settings = TelegramSettings(token=token, api_base=api.base_url, framework=framework)
        bot = await make_bot(whatsapp=False, telegram=settings, telegram_lease_ttl=2.0)
        yield bot, api, await bot.runtime.directory.define_token("support")


@pytest.fixture
async def shared(make_bot: BotFactory) -> Shared:
    return await shared_number(make_bot)


def inbound_with(ref_kind: str) -> Any:
    return lambda data: data["message"]["kind"] == ref_kind


async def test_a_whatsapp_image_is_fetched_from_meta_for_the_numbers_services(
    shared: Shared,
) -> None:
    bot = shared.bot
    media_id = shared.graph.media.add_media(PNG, "image/png", bot.phone_number_id)
    payload = meta.image_message(bot.phone_number_id, WA_ID, media_id, caption="my receipt")
    assert (await bot.post_whatsapp(payload)).status == 200
    event = await wait_for_event(bot.sinks["sales"], "message.inbound", inbound_with("image"))
    media = event["data"]["message"]["media"]
    assert (media["id"], media["ref"]) == (media_id, f"wa_{media_id}")
    assert await fetch(bot, shared.tokens["sales"], media["ref"]) == (200, PNG, "image/png")
    assert shared.graph.media.downloads == [media_id]
    assert (await fetch(bot, await outsider(bot), media["ref"]))[0] == 404
    for made_up in ("wa_999999999999", "wa_12ab", "wa_", "xx_123", "tg_abc", "sms_MM1_ME2"):
        status, data, _ = await fetch(bot, shared.tokens["sales"], made_up)
        assert status == 404 and PNG not in data, made_up
    await shared.graph.stop()  # Meta unreachable: a clear 502, and the process goes on
    status, data, _ = await fetch(bot, shared.tokens["sales"], media["ref"])
    assert status == 502 and b"retry later" in data


async def test_a_file_past_the_limit_is_refused_with_413(shared: Shared) -> None:
    big = shared.graph.media.add_media(
        PNG + b"\x00" * (17 * 1024 * 1024), "image/png", shared.bot.phone_number_id
    )
    status, data, _ = await fetch(shared.bot, shared.tokens["sales"], f"wa_{big}")
    assert status == 413 and b"larger than" in data


async def test_telegram_photos_and_voice_notes_are_fetched_with_getfile(
    make_bot: BotFactory,
) -> None:
    async with telegram_files_bot(make_bot) as (bot, api, service):
        api.photo(5551001, caption="the damage", data=PNG)
        api.document(5551001, "voice.ogg", "audio/ogg", data=OGG, field="voice")
        sink = bot.sinks["support"]
        photo = await wait_for_event(sink, "message.inbound", inbound_with("image"))
        voice = await wait_for_event(sink, "message.inbound", inbound_with("audio"))
        photo_ref = photo["data"]["message"]["media"]["ref"]
        voice_media = voice["data"]["message"]["media"]
        assert photo_ref.startswith("tg_") and voice_media["mime_type"] == "audio/ogg"
        assert (await fetch(bot, service, photo_ref))[:2] == (200, PNG)
        assert (await fetch(bot, service, voice_media["ref"]))[:2] == (200, OGG)
        assert (await fetch(bot, await outsider(bot), photo_ref))[0] == 404
        assert (await fetch(bot, service, "tg_no-such-file"))[0] == 404
        assert (await fetch(bot, service, "tg_" + "a/../b"))[0] == 404


async def test_every_file_of_an_mms_is_fetched_with_the_accounts_credentials(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    bot, twilio = sms_bot.bot, sms_bot.twilio
    sid = "MM" + "ab" * 16
    first = twilio.add_media(sid, PNG, "image/png")
    second = twilio.add_media(sid, OGG, "audio/ogg")
    media = [(first, "image/png"), (second, "audio/ogg")]
    form, signature = twilio.signed_inbound(
        sms_bot.url, CUSTOMER, OURS, "look", media=media, sid=sid
    )
    headers = {"X-Twilio-Signature": signature}
    assert (await bot.client.post("/webhooks/sms", data=form, headers=headers)).status == 200
    event = await wait_for_event(bot.sinks["support"], "message.inbound")
    message = event["data"]["message"]
    refs = [message["media"]["ref"], message["attachments"][0]["ref"]]
    assert all(ref.startswith(f"sms_{sid}_ME") for ref in refs)
    token = await bot.runtime.directory.define_token("support")
    assert await fetch(bot, token, refs[0]) == (200, PNG, "image/png")
    assert await fetch(bot, token, refs[1]) == (200, OGG, "audio/ogg")
    assert len(twilio.media_fetches) == 2
    assert (await fetch(bot, await outsider(bot), refs[0]))[0] == 404
    assert (await fetch(bot, token, f"sms_{sid}_ME" + "0" * 32))[0] == 404


async def test_a_file_served_without_a_length_is_read_whole_and_capped(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    bot, twilio = sms_bot.bot, sms_bot.twilio
    twilio.chunked_media = True
    sid = "MM" + "cd" * 16
    small = twilio.add_media(sid, PNG, "image/png")
    big = twilio.add_media(sid, PNG + b"\x00" * (17 * 1024 * 1024), "image/png")
    media = [(small, "image/png"), (big, "image/png")]
    form, signature = twilio.signed_inbound(
        sms_bot.url, CUSTOMER, OURS, "two", media=media, sid=sid
    )
    headers = {"X-Twilio-Signature": signature}
    assert (await bot.client.post("/webhooks/sms", data=form, headers=headers)).status == 200
    message = (await wait_for_event(bot.sinks["support"], "message.inbound"))["data"]["message"]
    token = await bot.runtime.directory.define_token("support")
    assert await fetch(bot, token, message["media"]["ref"]) == (200, PNG, "image/png")
    status, data, _ = await fetch(bot, token, message["attachments"][0]["ref"])
    assert status == 413 and b"larger than" in data


async def test_a_provider_failing_midway_cuts_the_answer_short(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    """Once the file's answer has begun, a failure cannot become another answer after it:
    the caller gets fewer bytes than the declared length, and knows the file is broken."""
    from aiohttp import ClientPayloadError, ClientSession, web
    from aiohttp.test_utils import TestServer

    from adapters.files import TwilioFiles
    from bot.core.media import ProviderFiles

    async def half(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = 2 * len(PNG)
        await response.prepare(request)
        await response.write(PNG)
        assert request.transport is not None
        request.transport.close()  # the provider's connection drops midway
        return response

    app = web.Application()
    app.router.add_get("/{tail:.*}", half)
    bot = sms_bot.bot
    async with TestServer(app) as server, ClientSession() as session:
        settings = bot.runtime.settings.sms
        assert settings is not None
        files = TwilioFiles(session, str(server.make_url("")), "AC" + "1" * 32, "t")
        bot.runtime.media.providers["sms"] = ProviderFiles(settings.number, files.open)
        token = await bot.runtime.directory.define_token("support")
        ref = f"sms_MM{'ab' * 16}_ME{'cd' * 16}"
        headers = {"Authorization": f"Bearer {token}"}
        async with bot.client.get(f"/v1/media/{ref}", headers=headers) as response:
            assert response.status == 200
            assert response.content_length == 2 * len(PNG)
            with pytest.raises(ClientPayloadError):
                await response.read()
