"""A start of this version kept ``bot`` (the runtime's own service, while
``runtime_service`` was on) among the services the config file defined at the last start.
The version before reads that record as the file's services, and detaches from every
number each one the file no longer defines: a process of the version before started on the
same Redis (a rollback, or one still running a rolling deploy) detached ``bot`` everywhere,
the runtime's automation stopped answering, and as an operator's own detach it stayed so
once this version ran again. The record the version before reads names the file's
services only now, and ``runtime_service`` is remembered by markers no service is named
as (which it detaches from nowhere)."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config.settings import AutomationSettings
from bot.core.directory import Directory
from bot.model import AUTOMATION_SERVICE, Service
from stores.redis import Keys
from stores.services import ServiceStore

NUMBERS = ["wa:106540352242922", "web:site"]
SUPPORT = Service("support", "http://127.0.0.1:9/support", "support-secret-0123456789")


async def start_of_the_version_before(store: ServiceStore, runtime_service: bool) -> None:
    """What a start of the version before did with the record: detach, from every number,
    each name it holds that the file does not define, then keep the file's names."""
    configured = [SUPPORT.name]
    names = [AUTOMATION_SERVICE] if runtime_service else []
    before = await store.configured() or set()
    for name in sorted(before - set(configured)):
        for number in await store.numbers():
            await store.detach(number, name)
    for number in NUMBERS:
        for name in names + configured:
            added = name not in before and name in configured
            await store.attach(number, name, unless_detached=not added, first=name in names)
    await store.set_configured(configured)


async def test_the_version_before_keeps_bot_attached_after_this_version_ran(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)

    await start_of_the_version_before(store, runtime_service=True)  # rolled back
    assert [await store.order(number) for number in NUMBERS] == [["bot", "support"]] * 2

    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)  # forward again
    assert [await store.order(number) for number in NUMBERS] == [["bot", "support"]] * 2


async def test_runtime_service_off_then_on_still_detaches_and_attaches_bot(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=False)
    assert [await store.order(number) for number in NUMBERS] == [["support"]] * 2
    await start_of_the_version_before(store, runtime_service=False)
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=False)
    assert [await store.order(number) for number in NUMBERS] == [["support"]] * 2
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    assert [await store.order(number) for number in NUMBERS] == [["bot", "support"]] * 2
