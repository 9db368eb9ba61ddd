"""An upload whose multipart boundary held a character outside Latin-1 ("€") raised while
the boundary was encoded, and got a 503; it is malformed input: a 400, nothing kept."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import call, shared_number


async def test_a_boundary_outside_latin_1_is_a_400(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = b'--x\xe2\x82\xac\r\nContent-Disposition: form-data; name="file"\r\n\r\n%PDF-1\r\n'
    headers = {"Content-Type": "multipart/form-data; boundary=x€"}
    answer = await call(
        shared.bot, shared.tokens["sales"], "POST", "/v1/media", data=body, headers=headers
    )
    assert answer.status == 400 and "boundary" in answer.error
    redis, prefix = shared.bot.runtime.redis, shared.bot.runtime.keys.prefix
    assert [name async for name in redis.scan_iter(match=f"{prefix}{{md:*")] == []
