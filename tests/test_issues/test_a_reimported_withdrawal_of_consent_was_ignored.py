"""A contact re-imported with ``consent`` set to ``none`` (the CRM's record of a
withdrawal) kept the lawful basis of the first import, the summary said nothing, and
marketing went on reaching them: an import fills only what a profile lacks. A withdrawal
is kept whatever basis the profile had; a new basis still does not replace one."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.model import Identity
from tests.test_import import graph, run, write_csv

HEADER = ["phone", "consent"]


async def test_a_withdrawal_replaces_the_basis(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    path = tmp_path / "crm.csv"
    await run(store, write_csv(path, [["07700900501", "consent"]], header=HEADER))
    await run(store, write_csv(path, [["07700900501", "contract"]], header=HEADER))
    profile = await store.get(await store.lookup(Identity("phone", "+447700900501")))
    assert profile["fields"]["consent"] == "consent"  # a basis it has is kept
    await run(store, write_csv(path, [["07700900501", "none"]], header=HEADER))
    profile = await store.get(await store.lookup(Identity("phone", "+447700900501")))
    assert profile["fields"]["consent"] == "none"
    assert profile["consent"]["source"] == "import"
