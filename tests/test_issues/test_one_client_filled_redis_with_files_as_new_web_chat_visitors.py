"""One script stored 30 files of 10 MB (420 MiB of Redis, kept 30 days) in 2.2 s by
taking a new web chat visitor from ``GET /`` for each batch of 10: the chat's pace of
files was the visitor's, and the visitor is whoever the client says. What all visitors
together send in files an hour is bounded now (``webchat.files_mb_per_hour``): past it a
file is refused with 429 and ``Retry-After``, and nothing of it is kept."""

from __future__ import annotations

import io

from tests.conftest import BotFactory

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(2 * MB - 8)


async def test_fresh_visitors_cannot_send_past_the_numbers_hourly_files(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, web_file_bytes_per_hour=10 * MB)
    redis, prefix = bot.runtime.redis, bot.runtime.keys.prefix
    statuses, waits = [], []
    for visitor in range(3):  # each a new visitor: no cookie, then the one GET / gives
        bot.client.session.cookie_jar.clear()
        await bot.client.get("/")
        for number in range(3):
            response = await bot.client.post(
                "/webchat/files",
                params={"id": f"v{visitor}f{number}", "filename": "shot.png"},
                data=io.BytesIO(PNG),
                headers={"Content-Type": "image/png"},
            )
            statuses.append(response.status)
            waits.append(response.headers.get("Retry-After"))
            await response.read()
    assert statuses == [201] * 5 + [429] * 4
    assert all(0 < int(wait or 0) <= 3600 for wait in waits[5:])
    kept = [name async for name in redis.scan_iter(match=f"{prefix}{{md:*:data")]
    assert len(kept) == 5
