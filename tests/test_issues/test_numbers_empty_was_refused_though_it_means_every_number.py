"""openapi's AttachServiceRequest says ``numbers`` "absent or empty means all of them", but
``"numbers": []`` was a 400. It now attaches the service to every number, as absent does."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import call, shared_number

ADMIN = "admin-" + "a" * 32


async def test_an_empty_list_of_numbers_attaches_to_every_number(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    body = {"name": "newcomer", "url": "http://127.0.0.1:9/hook", "secret": "s" * 20}
    answer = await call(shared.bot, ADMIN, "POST", "/v1/services", body | {"numbers": []})
    assert answer.status == 201, answer.raw
    listed = await call(shared.bot, ADMIN, "GET", "/v1/numbers")
    numbers = listed.json["numbers"]
    assert numbers and all("newcomer" in n["services"] for n in numbers)
    assert sorted(answer.json["numbers"]) == sorted(n["number"] for n in numbers)
