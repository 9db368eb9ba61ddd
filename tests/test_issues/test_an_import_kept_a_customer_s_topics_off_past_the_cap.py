"""A customer leaves at most 100 topics (the API refuses a call that would leave more:
every campaign to them reads them all, and every lookup of the profile answers them). An
import's ``topics_off`` column took any number: a row naming 5,000 topics was kept whole.
Such a row is rejected now, with the reason in the import's report, and nothing of it is
kept."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.model import Identity
from tests.test_import import graph, read_report, run, write_csv

HEADER = ["phone", "topics_off"]


async def test_a_row_past_a_hundred_topics_is_rejected(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    many = ",".join(f"t{n}" for n in range(5000))
    hundred = ",".join(f"t{n}" for n in range(100))
    rows = [["07700900311", many], ["07700900312", hundred]]
    summary = await run(store, write_csv(tmp_path / "c.csv", rows, header=HEADER))
    assert (summary.created, summary.rejected) == (1, 1)
    assert await store.lookup(Identity("phone", "+447700900311")) == ""
    kept = await store.get(await store.lookup(Identity("phone", "+447700900312")))
    assert kept["fields"]["topics_off"] == hundred
    (reason,) = [entry[0] for entry in read_report(summary.report).values()]
    assert reason == "topics_off: 5,000 topics; a customer leaves at most 100"
