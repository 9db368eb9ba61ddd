"""``runtime_service: false`` in ``switchboard.yaml`` kept the runtime's own service ``bot``
attached as the parent after the restart the log asked for ("runtime_service changed,
which apply at the next start"): its welcome, rules and away message went on answering,
and the file's first service got 403 on every notification and workflow event. Turned
off, ``bot`` is detached from every number (its next service is the parent); turned on
again, it is attached again, first."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config.settings import AutomationSettings
from bot.core.directory import Directory
from bot.model import Service
from stores.redis import Keys
from stores.services import ServiceStore

NUMBERS = ["wa:106540352242922", "web:site"]
SUPPORT = Service("support", "http://127.0.0.1:9/support", "support-secret-0123456789")


async def test_runtime_service_off_at_a_start_detaches_bot_and_on_attaches_it_again(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())

    async def start(runtime_service: bool) -> list[tuple[list[str], str]]:
        events = await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service)
        changed = {event.number: event.data["parent"] for event in events}
        return [(await store.order(number), changed.get(number, "")) for number in NUMBERS]

    assert await start(True) == [(["bot", "support"], "")] * 2
    assert await start(False) == [(["support"], "support")] * 2
    assert await start(False) == [(["support"], "")] * 2
    assert await start(True) == [(["bot", "support"], "bot")] * 2
    assert await start(True) == [(["bot", "support"], "")] * 2


async def test_an_operators_detach_of_bot_holds_while_runtime_service_stays_on(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    await store.detach(NUMBERS[0], "bot")  # admin detach bot wa:...
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    assert [await store.order(number) for number in NUMBERS] == [
        ["support"],
        ["bot", "support"],
    ]


async def test_an_operators_detach_of_bot_holds_in_a_store_kept_before_bot_was_recorded(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    await store.detach(NUMBERS[0], "bot")
    await store.set_configured(["support"])  # as the versions before kept it: no bot
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    assert [await store.order(number) for number in NUMBERS] == [
        ["support"],
        ["bot", "support"],
    ]


async def test_an_operators_detach_of_bot_everywhere_holds_after_the_upgrade(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    for number in NUMBERS:  # admin detach bot, from every number: support is the parent
        await store.detach(number, "bot")
    await store.set_configured(["support"])  # as the versions before kept it: no bot
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    assert [await store.order(number) for number in NUMBERS] == [["support"]] * 2
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=False)
    await directory.adopt_config(NUMBERS, [SUPPORT], runtime_service=True)
    assert [await store.order(number) for number in NUMBERS] == [["bot", "support"]] * 2
