"""``admin services attach`` run on a new Redis before the bot's first ``serve`` made that
service the parent of every number, ahead of the runtime's own service ``bot``, which was
attached after it: the welcome, the keyword rules and the flows never answered (600
messages, no reply). README: with ``runtime_service: true`` (the default), ``bot`` is
attached first. It goes first on a number it is new to; one detached stays detached."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config.settings import AutomationSettings
from bot.core.directory import Directory
from stores.redis import Keys
from stores.services import ServiceStore

NUMBER = "wa:106540352242922"


async def test_the_runtimes_service_is_the_parent_out_of_the_box(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    await store.attach(NUMBER, "replier")  # the CLI, before the first start
    directory = Directory(store, AutomationSettings())
    events = await directory.adopt_config([NUMBER], [], runtime_service=True)
    assert await store.order(NUMBER) == ["bot", "replier"]
    assert [e.type for e in events] == ["number.parent_changed"]
    # Started again, nothing moves; detached by the operator, it stays detached.
    assert await directory.adopt_config([NUMBER], [], runtime_service=True) == []
    await store.detach(NUMBER, "bot")
    await directory.adopt_config([NUMBER], [], runtime_service=True)
    assert await store.order(NUMBER) == ["replier"]
