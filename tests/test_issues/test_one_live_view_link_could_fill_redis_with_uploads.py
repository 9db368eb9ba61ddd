"""Nothing bounded the files one live view link uploaded (``POST /live/api/media``): each
is kept in Redis for a day, and 20 uploads of 8 MB took 210 MB in seconds, from a link
that lives in a browser (an iframe's address). The web chat, the other page on the open
web, keeps a visitor to 10 files at once and then one every 10 seconds; a live token is
now kept to the same pace, refused with 429 and ``Retry-After`` past it, and another
agent's token is not held back."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_live import live_token

PDF = b"%PDF-1.4 the invoice"


async def test_a_live_token_uploads_at_a_person_s_pace(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    client = shared.bot.client

    async def upload(token: str) -> tuple[int, str | None]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"}
        async with client.post("/live/api/media", data=PDF, headers=headers) as answer:
            return answer.status, answer.headers.get("Retry-After")

    token = await live_token(shared, "sales")
    for _ in range(10):
        assert (await upload(token))[0] == 201
    status, retry_after = await upload(token)
    assert status == 429
    assert retry_after is not None and int(retry_after) > 0
    other = await live_token(shared, "sales", agent="bob")
    assert (await upload(other))[0] == 201
