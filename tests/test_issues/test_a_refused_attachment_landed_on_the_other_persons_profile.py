"""With a cap on Telegram ids, a second Telegram account that shared a contact with
another customer's phone landed on that customer's profile: the attachment of its id was
refused, and its message, notes and conversation went to the other person all the same,
whose erasure then wiped them. README ("Profiles"): a refused attachment is recorded on
both profiles, and the message lands on the profile of the channel's own identity, which
is a new one when that identity had none. The same held an import row whose ext id was
refused on the profile its email found: the row was stored nowhere."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.model import Identity, MergePolicy
from stores.profiles import ProfileStore, Sighting
from stores.redis import Keys
from tests.test_import import contact, read_report, run, write_csv

XENA_WA = Identity("wa", "447700901301")
XENA_PHONE = Identity("phone", "+447700901301")
XENA_TG = Identity("tg", "1301")
YURI_TG = Identity("tg", "1302")
REASON = "more than 1 tg identities"


async def test_the_channels_own_identity_gets_a_profile_of_its_own(
    store: Redis, prefix: str
) -> None:
    graph = ProfileStore(store, Keys(prefix), MergePolicy(caps={"tg": 1}))
    xena = await graph.resolve([XENA_WA, XENA_PHONE, XENA_TG], channel="whatsapp", at=1000)
    (shared,) = await graph.resolve_many(
        [Sighting((YURI_TG, XENA_PHONE), "telegram", "Yuri", 2000.0)]
    )
    assert shared.profile and shared.profile != xena and shared.created
    assert [r.reason for r in shared.refusals] == [REASON]
    assert await graph.lookup(YURI_TG) == shared.profile
    assert await graph.lookup(XENA_PHONE) == xena
    for side in (xena, shared.profile):
        (refusal,) = (await graph.get(side))["refusals"]
        assert refusal["reason"] == REASON
        assert {refusal["profile"], refusal["other"]} == {xena, shared.profile}
    assert YURI_TG.key not in (await graph.get(xena))["identities"]
    (later,) = await graph.resolve_many([Sighting((YURI_TG,), "telegram", "Yuri", 3000.0)])
    assert later.profile == shared.profile and not later.created


async def test_the_same_in_a_batch_beside_other_customers(store: Redis, prefix: str) -> None:
    graph = ProfileStore(store, Keys(prefix), MergePolicy(caps={"tg": 1}))
    xena = await graph.resolve([XENA_WA, XENA_PHONE, XENA_TG], channel="whatsapp", at=1000)
    other = Identity("tg", "1303")
    first, shared, second = await graph.resolve_many(
        [
            Sighting((other,), "telegram", "Zoe", 2000.0),
            Sighting((YURI_TG, XENA_PHONE), "telegram", "Yuri", 2000.0),
            Sighting((XENA_TG,), "telegram", "Xena", 2000.0),
        ]
    )
    assert first.created and second.profile == xena
    assert shared.profile not in ("", xena, first.profile)
    assert await graph.lookup(YURI_TG) == shared.profile


async def test_an_import_row_refused_where_its_email_is_stored_as_its_own(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    graph = ProfileStore(real_redis, Keys(prefix), MergePolicy(caps={"ext": 1}))
    rows = [
        contact(external_id="crm-1", email="Ann@Example.com"),
        contact(external_id="crm-2", phone="+447700900802", email="ann@example.com"),
    ]
    summary = await run(graph, write_csv(tmp_path / "c.csv", rows))
    assert (summary.created, summary.warnings) == (2, 1)
    first = await graph.lookup(Identity("ext", "crm-1"))
    second = await graph.lookup(Identity("ext", "crm-2"))
    assert first and second and first != second
    assert await graph.lookup(Identity("phone", "+447700900802")) == second
    assert await graph.lookup(Identity("email", "ann@example.com")) == first
    report = read_report(summary.report)
    assert f"stored on {second}" in report[3][0]
