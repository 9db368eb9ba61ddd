"""``POST /v1/services`` took a URL whose port no POST can use (``:abc``, ``:99999``,
``:0``) or whose host has an empty label (``exa_mple..com``): 201, and every event to the
service then failed and went to the dead letters. Such a URL is a 400 now, as is the
same URL in the YAML file's services."""

from __future__ import annotations

import pytest

from bot.config.base import http_url
from tests.conftest import BotFactory
from tests.test_api import call, shared_number

ADMIN = "admin-" + "h" * 32
UNUSABLE = [
    "http://127.0.0.1:abc/hook",
    "http://127.0.0.1:99999/hook",
    "http://127.0.0.1:0/hook",
    "https://exa_mple..com:/hook",
    "https://.example.com/hook",
]


async def test_a_url_no_post_can_use_is_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    for url in UNUSABLE:
        body = {"name": "crm", "url": url, "secret": "s" * 24}
        answer = await call(shared.bot, ADMIN, "POST", "/v1/services", body)
        assert answer.status == 400, (url, answer.raw)
        assert "url" in answer.error
    assert await shared.bot.runtime.services.get("crm") is None


@pytest.mark.parametrize("url", UNUSABLE)
def test_an_unusable_url_is_no_http_url(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://crm.example.com./hook",
        "http://[::1]:80/hook",
        "https://my_host.internal/hook",
    ],
)
def test_a_usable_url_is_taken(url: str) -> None:
    assert http_url(url) == url
