"""A service removed from ``switchboard.yaml`` before the upgrade to the version that
detaches removed services (or at that upgrade) was never detached: that first start had
no record of the file's services, so it detached nothing and took the file as it was,
and the service went on getting every customer's message at every start after. The
first start now tells a service the file defined once from one defined through the API
by its definition, and detaches the former; the API's, and the operator's own detaches,
stay as they are."""

from __future__ import annotations

import logging

import pytest
from redis.asyncio import Redis

from stores.redis import Keys
from tests.conftest import BotFactory
from tests.emulators.sink import SubscriberSink
from tests.test_api import call

ADMIN = "admin-" + "u" * 32
WA = "wa:106540352242922"


async def test_the_first_start_detaches_what_the_file_defined_before(
    make_bot: BotFactory, real_redis: Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    old = await make_bot(
        services=("crm", "support", "desk", "sales"),
        automations={"desk": {"welcome": "Desk here."}},
        admin_token=ADMIN,
        runtime_service=False,
    )
    await old.runtime.directory.define_token("desk")  # admin services token desk
    await old.runtime.directory.define_token("sales")
    async with SubscriberSink("api-secret-" + "u" * 20) as made:
        body = {"name": "made", "url": made.url, "secret": made.secret}
        created = await call(old, ADMIN, "POST", "/v1/services", body)
        assert created.status == 201, created.raw
        # The operator's own detach, on one number.
        gone = await call(old, ADMIN, "DELETE", "/v1/services/crm?number=web:site")
        assert gone.status == 200, gone.raw
        await old.stop()
        # The store as the version before left it: no record of the file's services.
        await real_redis.delete(Keys(prefix).services_configured())

        new = await make_bot(services=("crm",), admin_token=ADMIN, runtime_service=False)
        listed = await call(new, ADMIN, "GET", "/v1/numbers")
        assert listed.status == 200, listed.raw
        services = {item["number"]: item["services"] for item in listed.json["numbers"]}
        # support (no token) and desk (its automation) were the file's: detached. sales,
        # given a token and no automation, may be the API's: kept, and the log says so.
        assert services == {WA: ["crm", "sales", "made"], "web:site": ["sales", "made"]}
        assert "service sales is attached and not in the config file" in caplog.text
        assert "service support " not in caplog.text and "service desk " not in caplog.text
