"""``admin import`` stored a ``consent`` column's ``bogus`` or ``maybe`` as the profile's
lawful basis, which ``PUT /v1/profiles/{ref}/consent`` refuses, and a ``timezone`` such as
``Mars/Olympus``, which no clock knows. Such a row is now rejected with its reason in the
report, and nothing of it is stored."""

from __future__ import annotations

import io
from pathlib import Path

from redis.asyncio import Redis

from bot.cli.importer import import_contacts
from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.test_import import read_report, write_csv


async def test_a_basis_or_zone_the_api_refuses_rejects_the_row(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = ProfileStore(real_redis, Keys(prefix))
    rows = [
        ["+447700900021", "bogus", ""],  # 2
        ["+447700900022", "maybe", "Europe/London"],  # 3
        ["+447700900023", "consent", "Mars/Olympus"],  # 4
        ["+447700900024", "legitimate_interest", "Europe/London"],  # 5: stored
        ["+447700900025", "none", ""],  # 6: stored, as the API takes it
    ]
    path = write_csv(tmp_path / "c.csv", rows, ["phone", "consent", "timezone"])
    summary = await import_contacts(store, path, region="GB", progress=io.StringIO())
    assert (summary.read, summary.created, summary.rejected) == (5, 2, 3)
    reasons = {number: entry[0] for number, entry in read_report(summary.report).items()}
    bases = "one of consent, contract, legitimate_interest, or none"
    assert reasons[2] == f"consent: the lawful basis is {bases}"
    assert reasons[3] == f"consent: the lawful basis is {bases}"
    assert reasons[4] == "timezone: unknown time zone 'Mars/Olympus'"
    assert set(reasons) == {2, 3, 4}
    for number in ("+447700900021", "+447700900022", "+447700900023"):
        assert await store.lookup(Identity("phone", number)) == ""
    stored = await store.get(await store.lookup(Identity("phone", "+447700900024")))
    assert stored["fields"] == {"consent": "legitimate_interest", "timezone": "Europe/London"}
    assert stored["consent"]["basis"] == "legitimate_interest"
    none = await store.get(await store.lookup(Identity("phone", "+447700900025")))
    assert none["consent"]["basis"] == "none"
