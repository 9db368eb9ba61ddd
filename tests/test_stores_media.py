"""The media store: a file's bytes come back as they went, with its record; ids that are
unknown, malformed or expired find nothing; meta and bytes expire together.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike.
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from stores.media import PIECE, MediaStore
from stores.redis import Keys

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def test_a_file_comes_back_byte_for_byte(store: Redis, prefix: str) -> None:
    media = MediaStore(store, Keys(prefix))
    record = await media.save(PNG, "image/png", "shot.png", "sales")
    assert record.id.startswith("med_") and record.size == len(PNG)
    found = await media.load(record.id)
    assert found is not None
    assert found == (record, PNG)
    assert await media.record(record.id) == record


async def test_a_file_opened_comes_back_in_pieces(store: Redis, prefix: str) -> None:
    media = MediaStore(store, Keys(prefix))
    data = PNG + bytes(range(251)) * (2 * PIECE // 251)  # two pieces and a part
    record = await media.save(data, "image/png", "", "sales")
    found = await media.opened(record.id)
    assert found is not None and found[0] == record
    pieces = [piece async for piece in found[1]]
    assert [len(piece) for piece in pieces] == [PIECE, PIECE, len(data) - 2 * PIECE]
    assert b"".join(pieces) == data
    assert await media.opened("med_" + "A" * 22) is None
    assert await media.opened("../etc/passwd") is None
    found = await media.opened(record.id)
    assert found is not None
    assert await anext(found[1]) == data[:PIECE]
    await media.forget([record.id])  # deleted while read: the rest never comes
    assert [piece async for piece in found[1]] == []


async def test_files_forgotten_are_deleted_and_known_as_erased(store: Redis, prefix: str) -> None:
    media = MediaStore(store, Keys(prefix))
    kept = await media.save(PNG, "image/png", "id.png", "web:v1", number="web:site")
    other = await media.save(PNG, "image/png", "other.png", "web:v2", number="web:site")
    assert not await media.erased(kept.id)
    await media.forget([kept.id, "wa_1234567890"])
    assert await media.load(kept.id) is None
    assert await media.erased(kept.id) and await media.erased("wa_1234567890")
    assert await media.load(other.id) == (other, PNG) and not await media.erased(other.id)
    await media.forget([])


async def test_a_visitors_file_belongs_to_its_number(store: Redis, prefix: str) -> None:
    media = MediaStore(store, Keys(prefix))
    record = await media.save(b"%PDF-1.7", "application/pdf", "", "web:v1", number="web:site")
    assert (await media.record(record.id)) == record
    assert (record.owner, record.number, record.filename) == ("web:v1", "web:site", "")


async def test_unknown_and_malformed_ids_find_nothing(store: Redis, prefix: str) -> None:
    media = MediaStore(store, Keys(prefix))
    for media_id in ("med_" + "A" * 22, "", "med_*", "../etc/passwd", "med_" + "A" * 5000):
        assert await media.load(media_id) is None
        assert await media.record(media_id) is None
        assert await media.recall(media_id, "whatsapp") == ""


async def test_meta_and_bytes_expire_together(store: Redis, prefix: str) -> None:
    media = MediaStore(store, Keys(prefix))
    record = await media.save(PNG, "image/png", "", "sales", ttl=3600)
    names = [name async for name in store.scan_iter(match=f"{prefix}{{md:{record.id}}}:*")]
    assert len(names) == 2
    for name in names:
        assert 3500_000 < await store.pttl(name) <= 3600_000
    short = await media.save(PNG, "image/png", "", "sales", ttl=0.05)
    for _ in range(250):  # until Redis has let it expire, 5 s at most
        if await media.load(short.id) is None:
            break
        await asyncio.sleep(0.02)
    assert await media.record(short.id) is None


async def test_a_note_lives_and_dies_with_its_file(store: Redis, prefix: str) -> None:
    media = MediaStore(store, Keys(prefix))
    record = await media.save(PNG, "image/png", "", "sales", ttl=3600)
    await media.remember(record.id, "whatsapp", "1234567890")
    assert await media.recall(record.id, "whatsapp") == "1234567890"
    gone = "med_" + "B" * 22
    await media.remember(gone, "whatsapp", "1")  # a file no longer kept gets no note
    assert [name async for name in store.scan_iter(match=f"{prefix}{{md:{gone}}}*")] == []
