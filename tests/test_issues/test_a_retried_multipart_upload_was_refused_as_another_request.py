"""A client writes a multipart body with a new boundary each time it sends it (curl -F,
aiohttp, requests): a retried upload under the same ``Idempotency-Key`` was compared byte
for byte and refused with 422, as another request. An upload is now compared by the file
it carries: its bytes, type and name; another file under the key is still a 422."""

from __future__ import annotations

import io

import aiohttp
import pytest

from tests.conftest import BotFactory
from tests.test_api import Answer, Shared, call, shared_number
from tests.test_api_media import PDF, PNG


@pytest.fixture
async def shared(make_bot: BotFactory) -> Shared:
    return await shared_number(make_bot)


async def form_upload(shared: Shared, data: bytes, content_type: str, filename: str) -> Answer:
    form = aiohttp.FormData()  # a new boundary for each form
    form.add_field("file", io.BytesIO(data), filename=filename, content_type=content_type)
    headers = {"Idempotency-Key": "upload-1"}
    return await call(
        shared.bot, shared.tokens["sales"], "POST", "/v1/media", data=form, headers=headers
    )


async def test_a_retried_multipart_upload_gets_the_first_answer(shared: Shared) -> None:
    first = await form_upload(shared, PDF, "application/pdf", "Invoice-7.pdf")
    again = await form_upload(shared, PDF, "application/pdf", "Invoice-7.pdf")
    assert first.status == again.status == 201, again.raw
    assert again.json["media"]["id"] == first.json["media"]["id"]


@pytest.mark.parametrize(
    ("data", "content_type", "filename"),
    [
        (PNG, "image/png", "Invoice-7.pdf"),
        (PDF, "application/pdf", "Invoice-8.pdf"),
        (PDF, "text/plain", "Invoice-7.pdf"),
    ],
)
async def test_another_file_under_the_same_key_is_a_422(
    shared: Shared, data: bytes, content_type: str, filename: str
) -> None:
    first = await form_upload(shared, PDF, "application/pdf", "Invoice-7.pdf")
    assert first.status == 201, first.raw
    other = await form_upload(shared, data, content_type, filename)
    assert other.status == 422, other.raw


async def test_a_raw_upload_of_the_same_bytes_as_another_type_is_a_422(shared: Shared) -> None:
    headers = {"Idempotency-Key": "upload-2", "Content-Type": "text/plain"}
    token = shared.tokens["sales"]
    first = await call(shared.bot, token, "POST", "/v1/media", data=PDF, headers=headers)
    assert first.status == 201, first.raw
    headers["Content-Type"] = "application/pdf"
    other = await call(shared.bot, token, "POST", "/v1/media", data=PDF, headers=headers)
    assert other.status == 422, other.raw
