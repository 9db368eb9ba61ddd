"""``POST /v1/services`` took ``numbers`` of the wrong type (``false``, ``0``, ``""``,
``{}``, ``null``) as "every number", and attached the new service to every number, where
a field of the wrong type is a 400."""

from __future__ import annotations

import secrets

from tests.conftest import BotFactory
from tests.test_api import call, shared_number

ADMIN = "admin-" + secrets.token_hex(16)


async def test_numbers_of_the_wrong_type_are_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    body = {"url": "http://127.0.0.1:9/hook", "secret": secrets.token_hex(16)}
    for n, numbers in enumerate((False, 0, "", {}, None, "web:site")):
        answer = await call(
            shared.bot,
            ADMIN,
            "POST",
            "/v1/services",
            {**body, "name": f"typo{n}", "numbers": numbers},
        )
        assert answer.status == 400, (numbers, answer.json)
        assert "numbers must be a list" in answer.error
        assert await shared.bot.runtime.services.get(f"typo{n}") is None
    # Absent or empty, a new service goes on every number, as documented.
    answer = await call(
        shared.bot, ADMIN, "POST", "/v1/services", {**body, "name": "every", "numbers": []}
    )
    assert answer.status == 201 and len(answer.json["numbers"]) == 2
