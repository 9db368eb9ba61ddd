"""``POST /v1/services`` took any string as a service's ``url`` ("not a url", an ftp URL,
``http:///hook``) and attached the service, whose events then failed at every delivery
for a day. It is now refused with 400, as the config file and the admin command refuse
it, and nothing is defined or attached."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import call, shared_number
from tests.test_api_services import ADMIN, THREE


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://crm.example.com/hook", "http:///hook", "http://[::1", "http://a b"]
)
async def test_a_service_url_that_is_no_url_is_refused(make_bot: BotFactory, url: str) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    body = {"name": "crm", "url": url, "secret": "s" * 24}
    answer = await call(shared.bot, ADMIN, "POST", "/v1/services", body)
    assert answer.status == 400, answer.raw
    assert answer.error == "url must be an http(s) URL, like https://bot.example.com"
    assert await shared.bot.runtime.services.get("crm") is None
    assert await shared.bot.runtime.services.order(shared.number) == list(THREE)
