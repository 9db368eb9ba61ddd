"""The team's profile commands from the command line (OPS-1): ``python bot.py admin
profile|merge|forget``, as an operator runs them against the real Redis."""

from __future__ import annotations

import os

from redis.asyncio import Redis

from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.botprocess import run_command
from tests.conftest import REDIS_URL


def environment(prefix: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "SWITCHBOARD_CONFIG": os.devnull,
        "DEFAULT_REGION": "GB",
    }


async def test_profile_merge_and_forget_from_the_cli(real_redis: Redis, prefix: str) -> None:
    graph = ProfileStore(real_redis, Keys(prefix))
    ann = await graph.resolve(
        [Identity("wa", "447700900123"), Identity("phone", "+447700900123")],
        channel="whatsapp",
        name="Ann",
        at=1000,
    )
    other = await graph.resolve([Identity("email", "ann@example.com")], channel="web", at=2000)
    env = environment(prefix)

    code, out, err = await run_command(env, "admin", "profile", "07700 900123")
    assert code == 0, err
    assert out.startswith(f"Ann - {ann}\nstage: lead, source: whatsapp")

    code, out, _ = await run_command(env, "admin", "merge", other, "+447700900123")
    assert code == 0 and out.startswith(f"Merged {other} into {ann}")

    code, out, _ = await run_command(env, "admin", "profile", ann, "convert")
    assert code == 0 and "stage: contact" in out

    code, out, _ = await run_command(env, "admin", "forget", ann, typed="no\n")
    assert code == 1 and "Nothing erased." in out and "for good" in out
    assert await graph.lookup(Identity("email", "ann@example.com")) == ann

    code, out, err = await run_command(env, "admin", "forget", "email:ann@example.com", "--yes")
    assert code == 0, err
    assert f"Erased {ann}: 3 identities" in out
    assert await graph.lookup(Identity("email", "ann@example.com")) == ""


async def test_cli_mistakes_get_the_cli_usage_line(real_redis: Redis, prefix: str) -> None:
    env = environment(prefix)
    code, _, err = await run_command(env, "admin", "merge", "only-one")
    assert code == 2 and err.startswith("usage: python bot.py admin merge [-h] PROFILE OTHER\n")
    assert "/merge" not in err
    code, _, err = await run_command(env, "admin", "profile", "wa:447000000001")
    assert code == 1 and err.strip() == "no profile with wa:447000000001"
    code, _, err = await run_command(env, "admin", "profile", "<script>")
    assert code == 2 and "is not an identity" in err and "Traceback" not in err
    assert "Usage: /" not in err
