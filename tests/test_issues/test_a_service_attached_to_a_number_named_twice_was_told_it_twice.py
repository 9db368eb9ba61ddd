"""``POST /v1/services`` naming one number twice answered that number twice.

As an operator saw it: ``"numbers": ["wa:1", "wa:1"]`` attached the service once (as
``GET /v1/numbers`` showed) but the 201 said ``"numbers": ["wa:1", "wa:1"]``. A number
named twice is one number: attached once, and said once.
"""

from __future__ import annotations

import secrets

from tests.conftest import BotFactory

ADMIN_TOKEN = secrets.token_hex(16)


async def test_a_number_named_twice_is_one_number(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("support",), admin_token=ADMIN_TOKEN)
    number = f"wa:{bot.phone_number_id}"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    body = {
        "name": "crm",
        "url": "http://127.0.0.1:9/hook",
        "secret": secrets.token_hex(16),
        "numbers": [number, number],
    }
    response = await bot.client.post("/v1/services", json=body, headers=headers)
    answer = await response.json()
    assert response.status == 201, answer
    assert answer["numbers"] == [number]
    response = await bot.client.get("/v1/numbers", headers=headers)
    (listed,) = [n for n in (await response.json())["numbers"] if n["number"] == number]
    assert listed["services"].count("crm") == 1
