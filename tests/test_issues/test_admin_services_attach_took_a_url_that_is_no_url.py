"""``python bot.py admin services attach crm --url "not a url"`` defined and attached the
service, whose events then failed at every delivery. Its --url is checked as the config
file's service URLs are, and the command refused in one line, defining nothing."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import run_command
from tests.test_admin_profiles import environment


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://crm.example.com/h", "http:///h", "http://[::1"]
)
async def test_an_attach_with_a_url_that_is_no_url_is_refused(
    real_redis: Redis, prefix: str, url: str
) -> None:
    env = {**environment(prefix), "CRM_SECRET": "a-secret-of-this-test-only"}
    code, out, err = await run_command(
        env, "admin", "services", "attach", "crm", "--url", url, "--secret-env", "CRM_SECRET"
    )
    assert (code, out) == (2, ""), err
    assert err == (
        f"switchboard: --url must be an http(s) URL, like https://bot.example.com (got {url!r})\n"
    )
    services = ServiceStore(real_redis, Keys(prefix))
    assert await services.get("crm") is None
    assert await services.order("web:site") == []
