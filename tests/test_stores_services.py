"""Store contracts, part five: services, the numbers they are attached to, API tokens.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike (see ``test_stores.py``).
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.model import Service
from stores.redis import Keys
from stores.services import Attachment, ServiceStore, Version

NUMBER = "wa:106540352242922"
CRM = Service("crm", "https://crm.example/hook", "s3cret", mask=False, automation={"a": 1})
DESK = Service("desk", "https://desk.example/hook", "other")


async def test_a_saved_service_is_read_back(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    assert await services.get("crm") is None
    await services.save(CRM)
    found = await services.get("crm")
    assert found == CRM and found is not None
    assert (found.secret, found.mask, found.automation) == ("s3cret", False, {"a": 1})
    await services.save(Service("crm", "https://crm.example/v2", "new"))
    changed = await services.get("crm")
    assert changed is not None and changed.url == "https://crm.example/v2"
    assert changed.mask and changed.automation == {}
    assert changed.batch == 0  # one event per POST unless it opts in
    await services.save(Service("crm", "https://crm.example/v2", "new", batch=50))
    batched = await services.get("crm")
    assert batched is not None and batched.batch == 50


async def test_many_services_are_read_in_one_call(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    assert await services.get_many([]) == {}
    await services.save(CRM)
    await services.save(DESK)
    found = await services.get_many(["desk", "gone", "crm"])
    assert found == {"desk": DESK, "crm": CRM}
    assert found["crm"].automation == {"a": 1}


async def test_a_token_names_its_service_until_replaced(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    await services.save(CRM)
    await services.set_token("crm", "tok-1")
    assert await services.by_token("tok-1") == CRM
    await services.set_token("crm", "tok-2")
    assert await services.by_token("tok-1") is None
    assert await services.by_token("tok-2") == CRM
    assert await services.by_token("nobody's") is None


async def test_a_services_token_digest_follows_its_token(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    await services.save(CRM)
    assert await services.token_digest("crm") == ""
    await services.set_token("crm", "tok-1")
    first = await services.token_digest("crm")
    assert first and "tok-1" not in first
    await services.set_token("crm", "tok-2")
    assert await services.token_digest("crm") not in ("", first)
    assert await services.token_digest("nobody") == ""


async def test_a_service_is_read_with_its_tokens_digest(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    assert await services.get_keyed("crm") == (None, "")
    await services.save(CRM)
    assert await services.get_keyed("crm") == (CRM, "")
    await services.set_token("crm", "tok-1")
    assert await services.get_keyed("crm") == (CRM, await services.token_digest("crm"))


async def test_no_token_is_kept_in_the_clear(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    await services.save(CRM)
    await services.set_token("crm", "tok-plain")
    values = [
        value
        async for key in store.scan_iter(match=f"{prefix}*")
        for value in (await store.hvals(key) if await store.type(key) == "hash" else [])
    ]
    assert values and "tok-plain" not in values


async def test_the_first_service_attached_is_the_parent(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    assert await services.order(NUMBER) == [] and await services.numbers() == []
    assert await services.attach(NUMBER, "crm") == Attachment(True, None, "crm", first=True)
    assert await services.attach(NUMBER, "desk") == Attachment(True, "crm", "crm")
    assert await services.attach(NUMBER, "crm") == Attachment(False, "crm", "crm")
    assert await services.order(NUMBER) == ["crm", "desk"]
    await services.attach("tg:7", "desk")
    assert await services.numbers() == sorted([NUMBER, "tg:7"])


async def test_detaching_the_parent_makes_the_next_one_parent(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    for name in ("crm", "desk", "bot"):
        await services.attach(NUMBER, name)
    assert await services.detach(NUMBER, "crm") == Attachment(True, "crm", "desk")
    assert await services.detach(NUMBER, "crm") == Attachment(False, "desk", "desk")
    assert await services.detach(NUMBER, "bot") == Attachment(True, "desk", "desk")
    assert await services.order(NUMBER) == ["desk"]
    assert await services.numbers() == [NUMBER], "a number stays known once it had a service"
    await services.detach(NUMBER, "desk")
    # Attached again after an idle spell: it had a parent before, so this is no first.
    assert await services.attach(NUMBER, "crm") == Attachment(True, None, "crm")


async def test_concurrent_attaches_keep_one_position_each(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    changes = await asyncio.gather(*(services.attach(NUMBER, "crm") for _ in range(10)))
    assert sum(change.changed for change in changes) == 1
    assert await services.order(NUMBER) == ["crm"]


async def test_attached_lists_definitions_in_attach_order(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    await services.save(CRM)
    await services.save(DESK)
    for name in ("desk", "bot", "crm"):
        await services.attach(NUMBER, name)
    # A name without a definition (the runtime's own service) has no webhook.
    assert await services.attached(NUMBER) == [DESK, Service("bot", "", ""), CRM]
    assert await services.attached("wa:idle") == []


async def test_every_change_moves_its_numbers_version(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    other = "tg:7"
    assert await services.versions([NUMBER, other]) == [Version(0, 0), Version(0, 0)]
    await services.attach(NUMBER, "crm")
    await services.attach(NUMBER, "crm")  # no change: no new version
    await services.attach(NUMBER, "desk")
    assert await services.versions([NUMBER, other]) == [Version(2, 0), Version(0, 0)]
    await services.detach(NUMBER, "crm")
    await services.detach(NUMBER, "crm")
    await services.save(CRM)  # a definition: every number's view of it is older now
    assert await services.versions([NUMBER, other]) == [Version(3, 1), Version(0, 1)]


async def test_a_view_is_as_new_as_its_version_says(store: Redis, prefix: str) -> None:
    services = ServiceStore(store, Keys(prefix))
    await services.save(DESK)
    await services.attach(NUMBER, "desk")
    assert await services.attached_as_of(NUMBER) == (Version(1, 1), [DESK])
    async with store.pipeline(transaction=False) as pipe:  # in the caller's round trip
        services.queue_versions(pipe, [NUMBER, "wa:idle"])
        answers = await pipe.execute()
    assert services.take_versions(answers) == [Version(1, 1), Version(0, 1)]


def test_a_version_covers_what_it_has_seen() -> None:
    older, newer = Version(3, 1), Version(2, 5)
    assert older.merged(newer) == Version(3, 5)
    assert Version(3, 5).covers(older) and Version(3, 5).covers(newer)
    assert not older.covers(newer) and not newer.covers(older)
