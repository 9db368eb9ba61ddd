"""``POST /webchat/files`` answers 429 (with ``Retry-After``) to an 11th file sent at once,
but the OpenAPI document listed only 201, 400, 401, 403, 413 and 415 for it: a client
built from the document did not know the answer."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_openapi import Contract, load

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


async def test_a_file_past_the_visitors_pace_is_a_documented_429(make_bot: BotFactory) -> None:
    contract = Contract(load())
    bot = await make_bot(whatsapp=False)
    await bot.client.get("/")  # the visitor's cookie
    statuses = []
    for number in range(11):
        response = await bot.client.post(
            "/webchat/files",
            params={"id": f"f{number}", "filename": "shoe.png"},
            data=PNG,
            headers={"Content-Type": "image/png"},
        )
        statuses.append(response.status)
        answer = await response.json()
        contract.answer("POST", "/webchat/files", response.status, answer, response.headers)
    assert statuses == [201] * 10 + [429]
