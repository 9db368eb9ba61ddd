"""``admin services attach sales --batch 50`` for a service already defined said "sales is
attached" and exited 0, and its batches stayed off: --batch (and --no-mask, and
--secret-env) counted only beside --url. README named ``admin attach NAME --batch 50``,
which has no such option. They change a known service now, keeping what is not given;
for an unknown service without --url they are refused."""

from __future__ import annotations

from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import run_command
from tests.test_admin_profiles import environment

URL = "http://127.0.0.1:9/hook"


async def test_batch_and_mask_change_a_known_service(real_redis: Redis, prefix: str) -> None:
    env = {**environment(prefix), "SALES_SECRET": "first-secret-of-this-test"}
    attach = ("admin", "services", "attach", "sales")
    code, _, err = await run_command(env, *attach, "--url", URL, "--secret-env", "SALES_SECRET")
    assert code == 0, err
    services = ServiceStore(real_redis, Keys(prefix))
    code, out, err = await run_command(env, *attach, "--batch", "50")
    assert code == 0, err
    sales = await services.get("sales")
    assert sales is not None
    assert (sales.batch, sales.mask, sales.url, sales.secret) == (
        50,
        True,
        URL,
        "first-secret-of-this-test",
    )
    assert "sales: up to 50 events a POST" in out
    env["SALES_SECRET"] = "second-secret-of-this-test"
    code, _, err = await run_command(env, *attach, "--no-mask", "--secret-env", "SALES_SECRET")
    assert code == 0, err
    sales = await services.get("sales")
    assert sales is not None
    assert (sales.batch, sales.mask, sales.secret) == (50, False, "second-secret-of-this-test")
    assert await services.order("web:site") == ["sales"]


async def test_an_unknown_service_needs_its_url(real_redis: Redis, prefix: str) -> None:
    code, out, err = await run_command(
        environment(prefix), "admin", "services", "attach", "crm", "--batch", "50"
    )
    assert (code, out) == (2, ""), err
    assert "--url" in err
    services = ServiceStore(real_redis, Keys(prefix))
    assert await services.get("crm") is None
