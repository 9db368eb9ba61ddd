"""``python bot.py admin forget X < /dev/null`` ended in an EOFError traceback: with no
answer to the confirmation prompt, it says that nothing was confirmed and exits 1."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.botprocess import run_command
from tests.test_admin_profiles import environment


async def test_forget_with_no_answer_erases_nothing(real_redis: Redis, prefix: str) -> None:
    graph = ProfileStore(real_redis, Keys(prefix))
    ann = await graph.resolve([Identity("email", "ann@example.com")], channel="web", at=1000)
    code, out, err = await run_command(environment(prefix), "admin", "forget", ann)  # /dev/null
    assert code == 1
    assert "Traceback" not in err and "EOFError" not in err
    assert "not confirmed" in (out + err) and "Nothing erased." in (out + err)
    assert await graph.lookup(Identity("email", "ann@example.com")) == ann
