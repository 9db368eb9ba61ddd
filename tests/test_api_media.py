"""``POST /v1/media`` and ``GET /v1/media/{id}``: a service uploads a file, gets it back,
and hands its signed URL to a provider; broken, hostile and oversized uploads are refused
whole, and nothing is kept of them."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.core.media import MAX_UPLOAD, MB
from tests.conftest import BotFactory
from tests.test_api import Answer, Shared, call, shared_number

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00IHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"0" * 1000


@pytest.fixture
async def shared(make_bot: BotFactory) -> Shared:
    return await shared_number(make_bot)


async def upload(
    shared: Shared, caller: str, data: bytes, content_type: str, query: str = "", **headers: str
) -> Answer:
    sent = {"Content-Type": content_type, **headers}
    path = f"/v1/media{query}"
    body = io.BytesIO(data) if len(data) > MB else data  # aiohttp warns of big raw bodies
    return await call(shared.bot, shared.tokens[caller], "POST", path, data=body, headers=sent)


async def form_upload(shared: Shared, caller: str, form: aiohttp.FormData) -> Answer:
    return await call(shared.bot, shared.tokens[caller], "POST", "/v1/media", data=form)


async def kept_files(shared: Shared) -> list[str]:
    redis = shared.bot.runtime.redis
    prefix = shared.bot.runtime.keys.prefix
    return [name async for name in redis.scan_iter(match=f"{prefix}{{md:*")]


async def download(shared: Shared, caller: str, media_id: str) -> tuple[int, bytes, Any]:
    headers = {"Authorization": f"Bearer {shared.tokens[caller]}"}
    async with shared.bot.client.get(f"/v1/media/{media_id}", headers=headers) as response:
        return response.status, await response.read(), response.headers


async def test_a_raw_upload_comes_back_to_its_owner(shared: Shared) -> None:
    answer = await upload(shared, "sales", PNG, "image/png", "?filename=../../shot.png")
    assert answer.status == 201, answer.raw
    media = answer.json["media"]
    assert media["id"].startswith("med_")
    assert (media["type"], media["size"], media["filename"]) == ("image/png", len(PNG), "shot.png")
    assert 23 * 3600 < media["expires_at"] - media["created_at"] <= 24 * 3600
    status, data, headers = await download(shared, "sales", media["id"])
    assert (status, data) == (200, PNG)
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"] == "attachment; filename*=UTF-8''shot.png"


async def test_a_multipart_upload_is_kept_with_its_name_and_type(shared: Shared) -> None:
    form = aiohttp.FormData()
    form.add_field("note", "ignored")
    form.add_field(
        "file", io.BytesIO(PDF), filename="Invoice-7.pdf", content_type="application/pdf"
    )
    answer = await form_upload(shared, "sales", form)
    assert answer.status == 201, answer.raw
    media = answer.json["media"]
    assert (media["type"], media["filename"], media["size"]) == (
        "application/pdf",
        "Invoice-7.pdf",
        len(PDF),
    )
    assert (await download(shared, "sales", media["id"]))[1] == PDF


async def test_another_services_file_is_unknown_to_it(shared: Shared) -> None:
    media_id = (await upload(shared, "sales", PNG, "image/png")).json["media"]["id"]
    for other in ("marketing", "support"):
        status, data, _ = await download(shared, other, media_id)
        assert status == 404 and PNG not in data
    for made_up in ("med_" + "A" * 22, "nothing", "med_%2F..%2F", "x" * 3000):
        assert (await download(shared, "sales", made_up))[0] == 404


async def test_a_file_of_a_number_is_for_the_services_on_that_number(shared: Shared) -> None:
    """A web chat visitor's file, kept for its number: every service there reads it."""
    library = shared.bot.runtime.media
    record = await library.save(PNG, "image/png", "photo.png", "web:v1", number=shared.number)
    for name in ("support", "sales", "marketing"):
        assert (await download(shared, name, record.id))[:2] == (200, PNG)
    elsewhere = await library.save(PNG, "image/png", "", "web:v2", number="web:other")
    assert (await download(shared, "sales", elsewhere.id))[0] == 404


async def test_the_admin_token_and_no_token_cannot_upload(shared: Shared) -> None:
    admin = shared.bot.runtime.settings.admin_token
    headers = {"Content-Type": "image/png"}
    if admin:
        answer = await call(shared.bot, admin, "POST", "/v1/media", data=PNG, headers=headers)
        assert answer.status == 403
    answer = await call(shared.bot, None, "POST", "/v1/media", data=PNG, headers=headers)
    assert answer.status == 401
    assert await kept_files(shared) == []


@pytest.mark.parametrize(
    ("data", "content_type", "status", "says"),
    [
        (PNG, "text/html", 415, "not taken"),
        (PNG, "image/svg+xml", 415, "not taken"),
        (b"<script>alert(1)</script>", "image/png", 415, "its bytes say otherwise"),
        (b"MZ\x90\x00", "application/pdf", 415, "its bytes say otherwise"),
        (b"\xff\xfe\x00bad", "text/plain", 415, "its bytes say otherwise"),
        (b"", "image/png", 400, "empty"),
        (PNG, "", 415, "not taken"),
    ],
)
async def test_wrong_types_and_empty_files_are_refused(
    shared: Shared, data: bytes, content_type: str, status: int, says: str
) -> None:
    answer = await upload(shared, "sales", data, content_type)
    assert answer.status == status, answer.raw
    assert says in answer.error
    assert await kept_files(shared) == []


async def test_a_file_past_the_limit_is_refused_with_413(shared: Shared) -> None:
    big = PNG + b"\x00" * (MAX_UPLOAD + 1 - len(PNG))
    answer = await upload(shared, "sales", big, "image/png")
    assert answer.status == 413 and "larger than" in answer.error

    # Streamed without a Content-Length: cut off past the limit, not read to the end.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_UPLOAD // MB + 2):
            yield b"\x00" * MB

    headers = {"Content-Type": "image/png", "Authorization": f"Bearer {shared.tokens['sales']}"}
    async with shared.bot.client.post("/v1/media", data=chunks(), headers=headers) as response:
        assert response.status == 413
    assert await kept_files(shared) == []


async def test_a_channels_own_limit_is_checked_when_named(shared: Shared) -> None:
    six_mb = PNG + b"\x00" * (6 * MB)
    answer = await upload(shared, "sales", six_mb, "image/png", "?channel=whatsapp")
    assert answer.status == 413 and "whatsapp takes image files of at most" in answer.error
    answer = await upload(shared, "sales", six_mb, "image/png", "?channel=sms")
    assert answer.status == 413
    assert (await upload(shared, "sales", six_mb, "image/png", "?channel=telegram")).status == 201
    answer = await upload(shared, "sales", PNG, "image/png", "?channel=fax")
    assert answer.status == 400 and "channel is one of" in answer.error


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (
            b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--x--',
            "multipart/form-data",
            "boundary",
        ),
        (
            b'--x\r\nContent-Disposition: form-data; name="other"\r\n\r\nabc\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
            "part named 'file'",
        ),
        (
            b'--x\r\nContent-Disposition: form-data; name="file"\r\nabc--x--',
            "multipart/form-data; boundary=x",
            "headers",
        ),
        (b"garbage", "multipart/form-data; boundary=x", "part named 'file'"),
        (
            b'--x\r\nContent-Disposition: form-data; name="file"; filename="a\x01b.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--x--\r\n",
            "multipart/form-data; boundary=x",
            "filename",
        ),
    ],
)
async def test_broken_multipart_bodies_are_refused(
    shared: Shared, body: bytes, content_type: str, says: str
) -> None:
    answer = await upload(shared, "sales", body, content_type)
    assert answer.status == 400, answer.raw
    assert says in answer.error
    assert await kept_files(shared) == []


async def test_a_retried_upload_under_one_key_keeps_one_file(shared: Shared) -> None:
    first = await upload(shared, "sales", PNG, "image/png", **{"Idempotency-Key": "up-1"})
    again = await upload(shared, "sales", PNG, "image/png", **{"Idempotency-Key": "up-1"})
    assert first.status == again.status == 201
    assert first.json["media"]["id"] == again.json["media"]["id"]
    assert len(await kept_files(shared)) == 2  # one file: its meta and its bytes


async def test_the_signed_url_serves_the_file_without_a_token(shared: Shared) -> None:
    media = (await upload(shared, "sales", PNG, "image/png")).json["media"]
    public = shared.bot.runtime.settings.public_url.rstrip("/")
    assert media["url"].startswith(f"{public}/media/")
    path = media["url"].removeprefix(public)
    async with shared.bot.client.get(path) as response:
        assert response.status == 200
        assert await response.read() == PNG
        assert response.headers["Content-Security-Policy"] == "sandbox"
    token = path.removeprefix("/media/")
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    links = shared.bot.runtime.media.links
    expired = await links.url(media["id"], ttl=10, now=1_000_000)
    for bad in (forged, "x" * 500, "%00", expired.removeprefix(f"{public}/media/")):
        async with shared.bot.client.get(f"/media/{bad}") as response:
            assert response.status == 404
            assert PNG not in await response.read()


async def test_an_expired_file_is_gone(shared: Shared) -> None:
    library = shared.bot.runtime.media
    record = await library.save(PNG, "image/png", "", "sales", ttl=0.05)
    url = await library.url(record)
    for _ in range(250):  # until Redis has let it expire, 5 s at most
        if await library.load(record.id) is None:
            break
        await asyncio.sleep(0.02)
    assert (await download(shared, "sales", record.id))[0] == 404
    async with shared.bot.client.get(url.removeprefix(library.links.public_url)) as response:
        assert response.status == 404


async def test_an_upload_goes_to_a_provider_once_and_an_expired_one_not_at_all(
    shared: Shared,
) -> None:
    library, given = shared.bot.runtime.media, []

    async def upload_to_provider(data: bytes, content_type: str, filename: str) -> str:
        given.append((data, content_type, filename))
        return "778899"

    record = await library.save(PNG, "image/png", "a.png", "sales")
    for _ in range(2):
        assert await library.provider_id(record.id, "whatsapp:1", upload_to_provider) == "778899"
    assert given == [(PNG, "image/png", "a.png")]
    with pytest.raises(LookupError):
        await library.provider_id("med_" + "Q" * 22, "whatsapp:1", upload_to_provider)
    assert len(given) == 1
