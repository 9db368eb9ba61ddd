"""An upload to /live/api/media that carried an Idempotency-Key was read by the key's
check only up to the JSON routes' megabyte, and the rest of the file was lost: the file
kept was the first megabyte of it."""

from __future__ import annotations

import io

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_live import live_token


async def test_an_upload_with_a_key_is_kept_whole(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared)
    pdf = b"%PDF-1.4 " + b"x" * (3 * 1024 * 1024)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/pdf",
        "Idempotency-Key": "upload-1",
    }
    body = io.BytesIO(pdf)
    async with shared.bot.client.post("/live/api/media", data=body, headers=headers) as answer:
        assert answer.status == 201, await answer.text()
        media = (await answer.json())["media"]
    assert media["size"] == len(pdf)
    found = await shared.bot.runtime.media.load(media["id"])
    assert found is not None and found[1] == pdf
