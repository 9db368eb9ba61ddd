"""``admin services attach sales --no-mask`` turned masking off, and nothing turned it on.

As an operator saw it: after ``--no-mask``, every other option kept masking off ("others'
replies shown"), and there was no ``--mask``: the only way back was to define the
service anew with its URL and secret. ``--mask`` turns it on again, keeping the rest.
"""

from __future__ import annotations

from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import run_command
from tests.test_admin_profiles import environment

URL = "http://127.0.0.1:9/hook"


async def test_mask_turns_masking_on_again(real_redis: Redis, prefix: str) -> None:
    env = {**environment(prefix), "SALES_SECRET": "the-secret-of-this-test"}
    attach = ("admin", "services", "attach", "sales")
    code, _, err = await run_command(
        env, *attach, "--url", URL, "--secret-env", "SALES_SECRET", "--no-mask"
    )
    assert code == 0, err
    services = ServiceStore(real_redis, Keys(prefix))
    sales = await services.get("sales")
    assert sales is not None and sales.mask is False
    code, out, err = await run_command(env, *attach, "--mask")
    assert code == 0, err
    assert "others' replies masked" in out
    sales = await services.get("sales")
    assert sales is not None
    assert (sales.mask, sales.url, sales.secret) == (True, URL, "the-secret-of-this-test")
