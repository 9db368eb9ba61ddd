"""A client driven by the OpenAPI document tripped on three answers it did not list:
``GET /v1/media/{id}`` and ``GET /media/{token}`` serve a file with the type it was
uploaded with (a PNG is ``image/png``), where the document listed only
``application/octet-stream``; and an empty ``?cursor=`` (the first page: docs/api.md's own
example pages from it) and an empty ``?day=`` (every day) were refused by the document's
patterns while the API takes them."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_openapi import COPY

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def documented(path: str) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(COPY.read_text(encoding="utf-8"))["paths"][path]["get"]
    return answer


def lists(content: dict[str, Any], media_type: str) -> bool:
    major = media_type.partition("/")[0]
    return any(key in (media_type, f"{major}/*", "*/*") for key in content)


async def test_a_file_is_served_with_a_type_the_document_lists(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    auth = {"Authorization": f"Bearer {shared.tokens['sales']}"}
    upload = await shared.bot.client.post(
        "/v1/media", data=PNG, headers=auth | {"Content-Type": "image/png"}
    )
    assert upload.status == 201, await upload.text()
    media = (await upload.json())["media"]
    token = media["url"].rpartition("/")[2]
    for path, url, headers in (
        ("/v1/media/{id}", f"/v1/media/{media['id']}", auth),
        ("/media/{token}", f"/media/{token}", {}),
    ):
        async with shared.bot.client.get(url, headers=headers) as answer:
            assert answer.status == 200 and await answer.read() == PNG
            assert answer.content_type == "image/png"
            assert lists(documented(path)["responses"]["200"]["content"], answer.content_type)


def test_an_empty_cursor_and_an_empty_day_are_documented_as_taken() -> None:
    for path, name in (
        ("/v1/notifications/{id}/recipients", "cursor"),
        ("/v1/profiles/{ref}/notes", "day"),
    ):
        (parameter,) = [p for p in documented(path)["parameters"] if p.get("name") == name]
        jsonschema.validate("", parameter["schema"])
