"""An import's ``topics_off`` column was stored as written: ``Offers; News`` (or
``OFFERS``) matched no campaign's topic ``offers``, so a customer who had left it still
got it, and the import said nothing. It is stored as campaigns read it (lowercase, comma
separated), a value that is no topic rejects the row, and campaigns read a field written
by hand in any case."""

from __future__ import annotations

import time
from pathlib import Path

from redis.asyncio import Redis

from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_import import graph, read_report, run, write_csv
from tests.test_notifications import Person, campaign, finished, seed, setup

HEADER = ["phone", "topics_off"]


async def test_topics_are_stored_as_campaigns_read_them(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    rows = [["07700900301", "Offers; News"], ["07700900302", "OFFERS"], ["07700900303", "off!"]]
    summary = await run(store, write_csv(tmp_path / "c.csv", rows, header=HEADER))
    assert (summary.created, summary.rejected) == (2, 1)
    first = await store.get(await store.lookup(Identity("phone", "+447700900301")))
    second = await store.get(await store.lookup(Identity("phone", "+447700900302")))
    assert first["fields"]["topics_off"] == "offers,news"
    assert second["fields"]["topics_off"] == "offers"
    (reason,) = [entry[0] for entry in read_report(summary.report).values()]
    assert reason.startswith("topics_off: 'off!' is not a topic")


async def test_a_topic_left_in_any_case_keeps_the_campaign_away(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    now = time.time()
    people = [
        Person("447911300001", {"topics_off": "Offers; News"}, now - 60),
        Person("447911300002", {}, now - 60),
    ]
    ids = await seed(shared.bot.runtime, shared.number, people)
    body = {"number": shared.number, "text": "10% off", "topic": "offers"}
    nid = await campaign(shared, body | {"audience": {"profiles": ids}})
    found = await finished(shared, nid)
    assert found["counts"]["sent"] == 1
    assert found["skipped"]["topic_conflict"] == 1
