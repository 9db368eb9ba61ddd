"""A Redis without persistence restarted under a running bot (or a service attached or
detached through the API) made some first messages of new customers go unanswered: no
welcome, no keyword reply, though every service got the message (7 of 40 customers who
wrote right after an empty Redis came back). Attaching the configured services again
dropped the process's view of the number's services while a batch was between bringing
that view up to date and running the parent's automation; the batch then found no
parent, as if the number had no service. A change made by this process now has the next
batch read the view again, and a batch under way keeps the one it began with."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config.settings import AutomationSettings
from bot.core.directory import Directory
from bot.model import Service
from stores.redis import Keys
from stores.services import ServiceStore

NUMBER = "wa:106540352242922"


async def _empty(redis: Redis, prefix: str) -> None:
    """As a Redis without persistence comes back: none of the bot's keys."""
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


async def test_a_batch_under_way_keeps_the_parent_while_the_services_are_attached_again(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())
    support = Service("support", "http://127.0.0.1:9/hook", "s3cret-s3cret-s3cret")
    await directory.adopt_config([NUMBER], [support], runtime_service=True)
    await directory.refresh([NUMBER])  # a batch brought its view up to date
    await _empty(real_redis, prefix)
    # Another task of the process finds the store emptied and attaches them again.
    await directory.adopt_config([NUMBER], [support], runtime_service=True)
    parent = directory.parent(NUMBER)  # what the batch's automation asks next
    assert parent is not None and parent.name == "bot"
    assert directory.automation(NUMBER) is not None


async def test_a_service_attached_by_this_process_is_seen_by_its_next_batch(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())
    await directory.adopt_config([NUMBER], [], runtime_service=True)
    await directory.refresh([NUMBER])
    await store.save(Service("crm", "http://127.0.0.1:9/hook", "s3cret-s3cret-s3cret"))
    await directory.attach(NUMBER, "crm")  # through the API, while a batch runs
    assert [s.name for s in directory.cached(NUMBER)] == ["bot"]
    await directory.detach(NUMBER, "bot")
    assert [s.name for s in directory.cached(NUMBER)] == ["bot"]
    await directory.refresh([NUMBER])  # the next batch
    assert [s.name for s in directory.cached(NUMBER)] == ["crm"]
