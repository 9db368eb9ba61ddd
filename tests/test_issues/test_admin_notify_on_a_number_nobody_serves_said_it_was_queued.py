"""``admin notify`` on a number no service was attached to said it was queued.

As an operator saw it: every service had left the number; ``admin notify --number web
--text …`` printed a report whose status was ``failed``, then "queued ntf_…: the running
bot sends it", and exited 0. Nothing was sent (SN-8: a number nobody is attached to
sends nothing). The command says why it is not sent, and exits 1.
"""

from __future__ import annotations

from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import run_command
from tests.test_admin_profiles import environment

NUMBER = "web:site"


async def test_the_refusal_is_said(real_redis: Redis, prefix: str) -> None:
    env = environment(prefix)
    code, _, err = await run_command(env, "admin", "services", "list")
    assert code == 0, err
    services = ServiceStore(real_redis, Keys(prefix))
    for name in await services.order(NUMBER):
        await services.detach(NUMBER, name)
    assert await services.order(NUMBER) == []
    code, out, err = await run_command(
        env, "admin", "notify", "--number", "web", "--text", "Hello", "--profiles", "+447700900123"
    )
    assert code == 1, (out, err)
    assert f"is not sent: no service is attached to {NUMBER}" in err
    assert "the running bot sends it" not in out
