"""Two answers the API document did not describe: ``GET /v1/numbers/{number}/costs`` with
an unreadable number answers 400 (the document had 200, 401, 404 and 503), and
``POST /v1/services`` named ``team`` or ``admin`` was refused as breaking the name's
pattern, which they keep: those names are reserved, as ``bot`` is, and said so."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import call
from tests.test_openapi import load

ADMIN_TOKEN = "admin-" + "a" * 32


def test_the_document_has_a_400_for_an_unreadable_number() -> None:
    document = load()
    assert "400" in document["paths"]["/v1/numbers/{number}/costs"]["get"]["responses"]


@pytest.mark.parametrize("name", ["team", "admin", "bot"])
async def test_a_reserved_service_name_is_refused_as_reserved(
    make_bot: BotFactory, name: str
) -> None:
    bot = await make_bot(admin_token=ADMIN_TOKEN)
    body = {"name": name, "url": "http://127.0.0.1:9/h", "secret": "s" * 32}
    answer = await call(bot, ADMIN_TOKEN, "POST", "/v1/services", body)
    assert answer.status == 400 and "is reserved" in answer.error, answer.raw
