"""``POST /v1/services`` with ``"batch": {"max_events": 2.0}`` was refused ("must be a
whole number"), though the OpenAPI document types it ``integer``, which JSON Schema
takes 2.0 for, and a client that keeps numbers as floats writes it so. 2.5 is still
refused."""

from __future__ import annotations

import secrets

from tests.conftest import BotFactory
from tests.test_api import call, shared_number

ADMIN = "admin-" + secrets.token_hex(16)


async def test_a_whole_number_written_as_a_float_is_taken(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    body = {"name": "crm", "url": "http://127.0.0.1:9/hook", "secret": "s" * 24}
    for size, status in ((2.5, 400), (1e12, 400), (2.0, 201)):
        answer = await call(
            shared.bot, ADMIN, "POST", "/v1/services", {**body, "batch": {"max_events": size}}
        )
        assert answer.status == status, (size, answer.raw)
    found = await shared.bot.runtime.services.get("crm")
    assert found is not None and found.batch == 2
