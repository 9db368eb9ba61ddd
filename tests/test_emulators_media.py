"""The emulators' file endpoints speak the providers' formats and refuse as they do:
Meta's media upload, URL and download; the Bot API's file sends and getFile; Twilio's
MediaUrl on a send and a customer's MediaUrl behind the account's credentials."""

from __future__ import annotations

import base64
import io
import secrets
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.emulators.twilio_api import TwilioEmulator

PHONE_ID = "106540352242922"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
MB = 1024 * 1024


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def upload_form(data: bytes, content_type: str, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("file", io.BytesIO(data), filename="a.bin", content_type=content_type)
    return form


async def test_meta_takes_an_upload_and_hands_the_file_back(http: aiohttp.ClientSession) -> None:
    token = secrets.token_hex(16)
    async with GraphAPIEmulator(token) as graph:
        auth = {"Authorization": f"Bearer {token}"}
        form = upload_form(PNG, "image/png", messaging_product="whatsapp", type="image/png")
        async with http.post(f"{graph.base_url}/{PHONE_ID}/media", data=form, headers=auth) as r:
            assert r.status == 200
            media_id = (await r.json())["id"]
        async with http.get(f"{graph.base_url}/{media_id}", headers=auth) as r:
            described = await r.json()
        assert (described["mime_type"], described["file_size"]) == ("image/png", len(PNG))
        async with http.get(described["url"]) as r:
            assert r.status == 401  # the URL wants the token too
        async with http.get(described["url"], headers=auth) as r:
            assert await r.read() == PNG
        refusals = [
            (upload_form(PNG, "image/png", type="image/png"), 100),  # no messaging_product
            (upload_form(PNG, "image/gif", messaging_product="whatsapp", type="image/gif"), 131053),
            (
                upload_form(PNG, "image/png", messaging_product="whatsapp", type="image/jpeg"),
                131053,
            ),
        ]
        big = upload_form(PNG + b"\x00" * 5 * MB, "image/png", messaging_product="whatsapp")
        refusals.append((big, 131053))
        for form, code in refusals:
            async with http.post(
                f"{graph.base_url}/{PHONE_ID}/media", data=form, headers=auth
            ) as r:
                assert r.status == 400 and (await r.json())["error"]["code"] == code
        async with http.get(f"{graph.base_url}/123", headers=auth) as r:
            assert r.status == 400
        assert len(graph.media.uploads) == 1


async def test_the_bot_api_takes_files_uploaded_attached_or_by_url(
    http: aiohttp.ClientSession,
) -> None:
    token = fake_token()

    async def a_png(request: web.Request) -> web.Response:
        return web.Response(body=PNG)

    served = web.Application()
    served.router.add_get("/a.png", a_png)
    async with TelegramAPIEmulator(token) as api, TestServer(served) as files:
        api.add_user(42)
        base = f"{api.base_url}/bot{token}"
        direct = aiohttp.FormData({"chat_id": "42", "caption": "one"})
        direct.add_field("photo", PNG, filename="a.png", content_type="image/png")
        attached = aiohttp.FormData({"chat_id": "42", "document": "attach://f1"})
        attached.add_field("f1", b"%PDF-1", filename="t.pdf", content_type="application/pdf")
        by_url = {"chat_id": 42, "photo": str(files.make_url("/a.png"))}
        for method, body in (("sendPhoto", direct), ("sendDocument", attached)):
            async with http.post(f"{base}/{method}", data=body) as r:
                assert (await r.json())["ok"] is True
        async with http.post(f"{base}/sendPhoto", json=by_url) as r:
            message = (await r.json())["result"]
        assert [s.media["data"] for s in api.sent if s.media] == [PNG, b"%PDF-1", PNG]
        async with http.post(
            f"{base}/getFile", json={"file_id": message["photo"][-1]["file_id"]}
        ) as r:
            path = (await r.json())["result"]["file_path"]
        async with http.get(f"{api.base_url}/file/bot{token}/{path}") as r:
            assert await r.read() == PNG
        async with http.get(f"{api.base_url}/file/bot{fake_token(7000000002)}/{path}") as r:
            assert r.status == 401
        refusals = [
            ({"chat_id": 42, "photo": "no-such-file-id"}, 400),
            ({"chat_id": 42, "photo": str(files.make_url("/missing.png"))}, 400),
            ({"chat_id": 42, "photo": "attach://nothing"}, 400),
            ({"chat_id": 42}, 400),
            ({"chat_id": 42, "photo": str(files.make_url("/a.png")), "caption": "c" * 1025}, 400),
        ]
        for body, status in refusals:
            async with http.post(f"{base}/sendPhoto", json=body) as r:
                assert r.status == status, body
        big = aiohttp.FormData({"chat_id": "42"})
        big_photo = io.BytesIO(PNG + b"\x00" * 10 * MB)
        big.add_field("photo", big_photo, filename="a.png", content_type="image/png")
        async with http.post(f"{base}/sendPhoto", data=big) as r:
            assert r.status == 413


async def test_twilio_takes_a_media_url_and_guards_a_customers_file(
    http: aiohttp.ClientSession,
) -> None:
    account, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    async with TwilioEmulator(account, token) as twilio:
        basic = base64.b64encode(f"{account}:{token}".encode()).decode()
        auth = {"Authorization": f"Basic {basic}"}
        url = f"{twilio.base_url}/2010-04-01/Accounts/{account}/Messages.json"
        form = {
            "To": "+447700900123",
            "From": "+15005550006",
            "MediaUrl": "https://a.example/x.png",
        }
        async with http.post(url, data=form, headers=auth) as r:
            assert r.status == 201 and (await r.json())["num_media"] == "1"
        assert twilio.sent[0].media_urls == ("https://a.example/x.png",)
        async with http.post(url, data=form | {"MediaUrl": "ftp://x"}, headers=auth) as r:
            assert r.status == 400 and (await r.json())["code"] == 21620
        media_url = twilio.add_media("MM" + secrets.token_hex(16), PNG, "image/png")
        async with http.get(media_url) as r:
            assert r.status == 401
        async with http.get(media_url, headers=auth) as r:
            assert (r.status, await r.read(), r.content_type) == (200, PNG, "image/png")
        wrong = base64.b64encode(f"{account}:nope".encode()).decode()
        async with http.get(media_url, headers={"Authorization": f"Basic {wrong}"}) as r:
            assert r.status == 401
