"""Store contract: shared secrets, on the real Redis and on the embedded store alike."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from stores.redis import Keys
from stores.secrets import SecretStore


async def test_the_first_candidate_is_kept_and_later_ones_ignored(
    store: Redis, prefix: str
) -> None:
    secrets = SecretStore(store, Keys(prefix))
    assert await secrets.keep("links", "first-candidate") == b"first-candidate"
    assert await secrets.keep("links", "second-candidate") == b"first-candidate"
    # Another process, or a restart, finds the same secret.
    assert await SecretStore(store, Keys(prefix)).keep("links", "third") == b"first-candidate"


async def test_each_name_keeps_its_own_secret(store: Redis, prefix: str) -> None:
    secrets = SecretStore(store, Keys(prefix))
    assert await secrets.keep("links", "a" * 32) == b"a" * 32
    assert await secrets.keep("other", "b" * 32) == b"b" * 32


async def test_processes_starting_together_agree_on_one_secret(store: Redis, prefix: str) -> None:
    stores = [SecretStore(store, Keys(prefix)) for _ in range(8)]
    kept = await asyncio.gather(*(s.keep("links", f"candidate-{n}") for n, s in enumerate(stores)))
    assert len(set(kept)) == 1
    assert kept[0].startswith(b"candidate-")


async def test_a_secret_keeps_every_character(store: Redis, prefix: str) -> None:
    secrets = SecretStore(store, Keys(prefix))
    assert await secrets.keep("links", "ключ-🔑") == "ключ-🔑".encode()
