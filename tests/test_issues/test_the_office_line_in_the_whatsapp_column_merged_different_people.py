"""``profiles.blocked`` names a number shared by many, such as an office switchboard, which
never joins a profile: given in the ``phone`` column it was refused, but in the
``whatsapp`` column only its phone was left out and its WhatsApp id kept, so every row
naming it landed on one person. The row is refused, as in the phone column."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.model import Identity, MergePolicy
from tests.test_import import contact, graph, read_report, run, write_csv


async def test_the_blocked_number_is_refused_in_the_whatsapp_column(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix, MergePolicy(blocked=frozenset({"phone:+442079460000"})))
    rows = [
        contact(whatsapp="+44 20 7946 0000", email="alice@example.com"),
        contact(whatsapp="442079460000", email="carol@example.com"),
    ]
    summary = await run(store, write_csv(tmp_path / "c.csv", rows))
    assert summary.rejected == 2 and summary.created == 0
    reasons = {number: entry[0] for number, entry in read_report(summary.report).items()}
    assert reasons == {
        2: "whatsapp: phone:+442079460000 is blocked by the merge policy",
        3: "whatsapp: phone:+442079460000 is blocked by the merge policy",
    }
    assert await store.lookup(Identity("wa", "442079460000")) == ""
    alice = await store.lookup(Identity("email", "alice@example.com"))
    assert alice == "" or alice != await store.lookup(Identity("email", "carol@example.com"))


async def test_a_clean_import_leaves_no_old_report_of_rejected_rows(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    path = write_csv(tmp_path / "c.csv", [contact(phone="12")])
    first = await run(store, path)
    assert first.rejected == 1 and first.report is not None and first.report.is_file()
    write_csv(path, [contact(phone="07700900140")])  # the row put right
    again = await run(store, path)
    assert again.rejected == 0 and again.report is None
    assert not (tmp_path / "c.csv.rejected.csv").exists()
