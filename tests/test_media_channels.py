"""A reply's file on each channel: Telegram's own photo, document, audio or video message
(uploaded, or by URL, with its caption), an MMS on SMS (the file's URL, signed when it was
uploaded here), and the file in the web chat's bubble."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import pytest

from bot.config.settings import TelegramSettings
from tests.conftest import Bot, BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_api import call
from tests.test_sms_channel import SMSBot, sms_bot  # noqa: F401 (a fixture)
from tests.test_webchat import next_message, open_chat

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00IHDR" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"2" * 300
CUSTOMER = 5551001


async def upload(
    bot: Bot, token: str, data: bytes, content_type: str, name: str = ""
) -> dict[str, Any]:
    query = f"?filename={name}" if name else ""
    headers = {"Content-Type": content_type}
    body = io.BytesIO(data) if len(data) > 1024 * 1024 else data  # aiohttp warns of big bytes
    answer = await call(bot, token, "POST", f"/v1/media{query}", data=body, headers=headers)
    assert answer.status == 201, answer.raw
    media: dict[str, Any] = answer.json["media"]
    return media


def local_path(bot: Bot, url: str) -> str:
    return url.removeprefix(bot.runtime.settings.public_url.rstrip("/"))


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_telegram_gets_its_own_file_messages_with_captions(
    make_bot: BotFactory, framework: str
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        settings = replace(
            TelegramSettings(token=token, api_base=api.base_url), framework=framework
        )
        bot = await make_bot(whatsapp=False, telegram=settings, telegram_lease_ttl=2.0)
        api.customer_text(CUSTOMER, "hello")
        await api.wait_for_sent(1)  # the welcome
        await bot.settle()
        service = await bot.runtime.directory.define_token("support")
        [conversation] = [
            c
            for c in await bot.runtime.conversations.list_for_number(
                f"tg:{token.partition(':')[0]}"
            )
        ]
        path = f"/v1/conversations/{conversation}/messages"
        photo = await upload(bot, service, PNG, "image/png")
        media = {"type": "image", "id": photo["id"], "caption": "Your <b>receipt</b>"}
        assert (await call(bot, service, "POST", path, {"media": media})).status == 201
        pdf = await upload(bot, service, PDF, "application/pdf", "terms.pdf")
        media = {"type": "document", "id": pdf["id"]}
        assert (await call(bot, service, "POST", path, {"media": media})).status == 201
        sent = await api.wait_for_sent(3)
        assert [s.method for s in sent[1:]] == ["sendPhoto", "sendDocument"]
        assert sent[1].media is not None and sent[1].media["data"] == PNG
        assert sent[1].text == "" and sent[1].media["caption"] == "Your <b>receipt</b>"
        assert sent[1].parse_mode is None  # a caption is never parsed as markup
        assert sent[2].media is not None and sent[2].media["data"] == PDF
        assert sent[2].media["filename"] == "terms.pdf"
        assert not any(s.method == "sendMessage" and "http" in s.text for s in sent)


async def test_sms_sends_an_mms_whose_signed_url_serves_the_file(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    bot = sms_bot.bot
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    token = await bot.runtime.directory.define_token("support")
    path = f"/v1/conversations/{sms_bot.conversation}/messages"
    photo = await upload(bot, token, PNG, "image/png")
    media = {"type": "image", "id": photo["id"], "caption": "Your receipt"}
    assert (await call(bot, token, "POST", path, {"media": media})).status == 201
    linked = {"type": "document", "url": "https://shop.example.com/a.pdf", "caption": "Invoice"}
    assert (await call(bot, token, "POST", path, {"media": linked})).status == 201
    sent = await sms_bot.twilio.wait_for_sent(3)
    assert (sent[1].body, sent[2].body) == ("Your receipt", "Invoice")
    assert sent[2].media_urls == ("https://shop.example.com/a.pdf",)
    [signed] = sent[1].media_urls
    async with bot.client.get(local_path(bot, signed)) as response:  # as Twilio fetches it
        assert response.status == 200 and await response.read() == PNG
        assert response.headers["Content-Type"] == "image/png"


async def test_sms_refuses_an_upload_past_the_mms_limit(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    bot = sms_bot.bot
    await sms_bot.text("hello")
    token = await bot.runtime.directory.define_token("support")
    big = await upload(bot, token, PNG + b"\x00" * (5 * 1024 * 1024), "image/png")
    path = f"/v1/conversations/{sms_bot.conversation}/messages"
    answer = await call(bot, token, "POST", path, {"media": {"type": "image", "id": big["id"]}})
    assert answer.status == 413 and "sms takes image files" in answer.error


async def test_the_web_chat_shows_the_file(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    await next_message(socket)  # the welcome
    await bot.settle()
    token = await bot.runtime.directory.define_token("support")
    [conversation] = await bot.runtime.conversations.list_for_number(
        bot.runtime.settings.web_number
    )
    photo = await upload(bot, token, PNG, "image/png")
    body = {"media": {"type": "image", "id": photo["id"], "caption": "Here it is"}}
    answer = await call(bot, token, "POST", f"/v1/conversations/{conversation}/messages", body)
    assert answer.status == 201, answer.raw
    shown = await next_message(socket)
    assert shown["media"]["kind"] == "image" and shown["media"]["caption"] == "Here it is"
    async with bot.client.get(local_path(bot, shown["media"]["url"])) as response:
        assert await response.read() == PNG
    await socket.close()
    _, history = await open_chat(bot)
    again = history[-1]["media"]
    assert (again["kind"], again["caption"]) == ("image", "Here it is")
    # Signed afresh, with its own expiry (a second later, another URL): the same file.
    async with bot.client.get(local_path(bot, again["url"])) as response:
        assert await response.read() == PNG
