"""``admin services detach bot`` detached the parent at once, while ``admin detach bot``
asked for a confirmation code: both are now one command, and both ask."""

from __future__ import annotations

from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import run_command
from tests.test_admin_profiles import environment

NUMBER = "web:site"


async def test_both_detach_commands_ask_first(real_redis: Redis, prefix: str) -> None:
    env = {**environment(prefix), "CRM_SECRET": "a-secret-of-this-test-only"}
    services = ServiceStore(real_redis, Keys(prefix))
    code, _, err = await run_command(
        env, "admin", "services", "attach", "crm", "--url", "http://127.0.0.1:9/h",
        "--secret-env", "CRM_SECRET", "--number", NUMBER,
    )  # fmt: skip
    assert code == 0, err
    assert await services.order(NUMBER) == ["crm"]
    for command in (["services", "detach", "crm", "--number", NUMBER], ["detach", "crm", NUMBER]):
        code, out, _ = await run_command(env, "admin", *command, typed="no\n")
        assert code == 1 and out.startswith("This detaches crm from web:site"), command
        assert "Nothing detached." in out
        assert await services.order(NUMBER) == ["crm"]
    code, out, err = await run_command(
        env, "admin", "services", "detach", "crm", "--number", NUMBER, "--yes"
    )
    assert code == 0, err
    assert out.endswith(
        "crm detached from web:site: no services: idle; the parent is now nobody (was crm)\n"
    )
    assert await services.order(NUMBER) == []
