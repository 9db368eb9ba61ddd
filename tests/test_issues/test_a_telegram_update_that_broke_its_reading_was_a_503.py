"""Telegram webhooks answered 503, "retry later", where a clear answer was due: a
secret-token header whose bytes were not UTF-8 (401 is due: it is not the secret), and
an edited message without its ``edit_date`` (the edit is kept, dated when the message
was sent). A shared place far off the globe (a latitude of 1e308) was kept as a place;
it is read as no place, as WhatsApp's are."""

from __future__ import annotations

import asyncio
import json
import time

from adapters.telegram_common import inbound_from_update
from tests.conftest import BotFactory
from tests.emulators.telegram_api import SECRET_HEADER, TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import CUSTOMER, telegram_bot, wait_until_processed

SECRET = "s3cret-" + "x" * 20


def message(message_id: int, **fields: object) -> dict[str, object]:
    return {
        "message_id": message_id,
        "date": int(time.time()) - 60,
        "chat": {"id": CUSTOMER, "type": "private"},
        "from": {"id": CUSTOMER, "is_bot": False, "first_name": "Cara"},
        **fields,
    }


async def raw_post(port: int, secret: bytes, body: bytes) -> int:
    """The status of a POST whose secret header is sent as these very bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /webhooks/telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        + SECRET_HEADER.encode()
        + b": "
        + secret
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def test_a_secret_header_that_is_not_utf8_gets_401_and_an_edit_without_its_date_is_kept(
    make_bot: BotFactory,
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        tg = await telegram_bot(make_bot, api, token, mode="webhook", webhook_secret=SECRET)
        port = tg.bot.client.port
        assert port is not None
        body = json.dumps({"update_id": 1, "message": message(5, text="hi")}).encode()
        for secret in (b"\xe9", b"s3cret-\xff\xfe", b"\xed\xa0\x80"):
            assert await raw_post(port, secret, body) == 401
        assert await raw_post(port, SECRET.encode(), body) == 200
        edit = {"update_id": 2, "edited_message": message(5, text="hi, edited")}
        answer = await tg.bot.client.post(
            "/webhooks/telegram", json=edit, headers={SECRET_HEADER: SECRET}
        )
        assert answer.status == 200, await answer.text()
        timeline = await wait_until_processed(tg, CUSTOMER, 1)
        assert [m["text"] for m in timeline if m["direction"] == "inbound"] == ["hi, edited"]


def test_a_place_off_the_globe_is_no_place() -> None:
    for point in ({"latitude": 1e308, "longitude": -1e308}, {"latitude": 91, "longitude": 0}):
        update = {"update_id": 3, "message": message(6, location=point)}
        [parsed] = inbound_from_update(update, "123")
        assert (parsed.kind, parsed.location) == ("unsupported", None)
    fine = {"update_id": 4, "message": message(7, location={"latitude": 51.5, "longitude": -0.1})}
    [parsed] = inbound_from_update(fine, "123")
    assert parsed.kind == "location" and parsed.location is not None
