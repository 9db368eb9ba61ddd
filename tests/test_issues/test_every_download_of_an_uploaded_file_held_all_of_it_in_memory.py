"""Every download of an uploaded file (its signed URL ``/media/{token}``, which needs no
API token, and ``GET /v1/media/med_...``) read the whole file from Redis into memory and
kept it until the reader had it all: 40 slow readers of a 16 MiB file took the bot to
2.3 GB. A kept file now goes out piece by piece as the reader takes it."""

from __future__ import annotations

import hashlib
import tracemalloc
from urllib.parse import urlsplit

import pytest

from bot.core.media import MAX_UPLOAD, MB
from tests.conftest import BotFactory
from tests.test_api import Shared, shared_number
from tests.test_api_media import PNG, upload

HELD = 4 * MB
"""The most a download may add to the process's memory: pieces, never the 16 MiB file."""


@pytest.fixture
async def shared(make_bot: BotFactory) -> Shared:
    return await shared_number(make_bot)


async def read_through(shared: Shared, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """The answer's status and its bytes' digest, read as they come and not kept."""
    digest = hashlib.sha256()
    async with shared.bot.client.get(path, headers=headers) as response:
        assert response.status == 200
        assert response.content_length == MAX_UPLOAD
        async for piece in response.content.iter_chunked(64 * 1024):
            digest.update(piece)
    return response.status, digest.hexdigest()


async def test_a_big_upload_is_read_back_in_pieces(shared: Shared) -> None:
    data = PNG + b"\x00" * (MAX_UPLOAD - len(PNG))
    answer = await upload(shared, "sales", data, "image/png")
    assert answer.status == 201, answer.raw
    media = answer.json["media"]
    expected = hashlib.sha256(data).hexdigest()
    del data, answer
    token = {"Authorization": f"Bearer {shared.tokens['sales']}"}
    for path, headers in (
        (urlsplit(media["url"]).path, {}),
        (f"/v1/media/{media['id']}", token),
    ):
        tracemalloc.start()
        try:
            found = await read_through(shared, path, headers)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert found == (200, expected), path
        assert peak < HELD, (path, peak)
        async with shared.bot.client.head(path, headers=headers) as response:
            assert (response.status, response.content_length) == (200, MAX_UPLOAD)
