"""``admin import`` of a WhatsApp column a spreadsheet saved as decimals (``447700900962.0``)
took the dot for a separator and stored ``wa:4477009009620``, a 13-digit id of nobody, with
no phone and no word in the report: the customer's own WhatsApp message then made a second
profile. A WhatsApp id no phone is behind was kept as it came; a Telegram id with leading
zeros (``00888001``) was another person than the user 888001, and a group's negative id
was taken as a customer's."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.identities import normalize_identity
from bot.model import Identity
from tests.test_import import contact, graph, read_report, run, write_csv


async def test_decimal_and_impossible_ids_are_rejected_and_padded_ones_read(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    rows = [
        contact(whatsapp="447700900962.0"),  # 2
        contact(phone="+447700900967.0"),  # 3
        contact(telegram="888003.0"),  # 4
        contact(whatsapp="4477009"),  # 5: no phone is +4477009
        contact(telegram="-888004"),  # 6: a group
        contact(telegram="00888001", name="T1"),  # 7: the user 888001
        contact(whatsapp="447700900963", name="W"),  # 8: stored, with its phone
    ]
    summary = await run(store, write_csv(tmp_path / "c.csv", rows))
    reasons = {number: entry[0] for number, entry in read_report(summary.report).items()}
    for row, column in ((2, "whatsapp"), (3, "phone"), (4, "telegram")):
        assert reasons[row].startswith(f"{column}: "), reasons[row]
        assert "spreadsheet" in reasons[row] and "text" in reasons[row], reasons[row]
    assert reasons[5].startswith("whatsapp: '4477009' is not a WhatsApp id"), reasons[5]
    assert reasons[6].startswith("telegram: '-888004' is not a Telegram user id"), reasons[6]
    assert set(reasons) == {2, 3, 4, 5, 6}
    assert not await store.lookup(Identity("wa", "4477009009620"))
    assert not await store.lookup(Identity("wa", "4477009"))
    assert await store.lookup(Identity("tg", "888001"))
    assert await store.lookup(Identity("phone", "+447700900963"))
    assert summary.created == 2


def test_a_telegram_id_is_read_without_its_leading_zeros() -> None:
    assert normalize_identity("tg", "00888001", "GB") == Identity("tg", "888001")
    assert normalize_identity("tg", "-0", "GB") == Identity("tg", "0")
