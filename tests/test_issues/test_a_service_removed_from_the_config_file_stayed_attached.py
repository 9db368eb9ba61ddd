"""A service removed from ``switchboard.yaml`` stayed attached after the restart the log
asked for ("services (added or removed) changed, which apply at the next start"): it
went on getting every customer's messages, its token kept its access to the numbers. A
service the file defined at the last start and defines no more is detached from every
number; one added back is attached again; services defined through the API, and one the
operator detached, are left as they are."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config.settings import AutomationSettings
from bot.core.directory import Directory
from bot.model import Service
from stores.redis import Keys
from stores.services import ServiceStore

NUMBERS = ["wa:106540352242922", "web:site"]


def defined(*names: str) -> list[Service]:
    return [
        Service(name, f"http://127.0.0.1:9/{name}", f"{name}-secret-0123456789") for name in names
    ]


async def test_a_service_gone_from_the_file_is_detached_at_the_start(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())

    async def start(*names: str) -> list[list[str]]:
        await directory.adopt_config(NUMBERS, defined(*names), runtime_service=False)
        return [await store.order(number) for number in NUMBERS]

    assert await start("crm", "desk") == [["crm", "desk"]] * 2
    await store.attach(NUMBERS[0], "api-made")  # POST /v1/services, not the file's
    assert await start("crm") == [["crm", "api-made"], ["crm"]]
    assert await start("crm", "desk") == [["crm", "api-made", "desk"], ["crm", "desk"]]
    await store.detach(NUMBERS[1], "desk")  # the operator's detach holds
    assert await start("crm", "desk") == [["crm", "api-made", "desk"], ["crm"]]


async def test_the_first_start_that_keeps_the_files_services_keeps_those_of_the_api(
    real_redis: Redis, prefix: str
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    directory = Directory(store, AutomationSettings())
    await directory.define(defined("desk")[0], with_token=True)  # POST /v1/services
    for number in NUMBERS:  # attached by a version that did not keep the file's services
        await store.attach(number, "crm")
        await store.attach(number, "desk")
    await directory.adopt_config(NUMBERS, defined("crm"), runtime_service=False)
    assert [await store.order(number) for number in NUMBERS] == [["crm", "desk"]] * 2
