"""Services over /v1: only the parent notifies (SN-6), failover when it leaves (SN-7), and
attaching and detaching with the admin token or a service's own."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators.sink import SubscriberSink
from tests.test_api import (
    THREE,
    WELCOME,
    Shared,
    call,
    shared_number,
    wait_for_event,
)

ADMIN = "admin-" + "h" * 32


async def notify(shared: Shared, caller: str, text: str) -> tuple[int, str]:
    body = {"conversation_id": shared.conversation, "text": text}
    answer = await shared.call(caller, "POST", "/v1/notifications", body)
    return answer.status, answer.error if answer.status >= 400 else ""


async def trigger(shared: Shared, caller: str) -> tuple[int, str]:
    body = {"type": "ticket.created", "number": shared.number, "phone": "+447911123456"}
    answer = await shared.call(caller, "POST", "/v1/events", body)
    return answer.status, answer.error if answer.status >= 400 else ""


async def test_only_the_parent_may_notify_or_trigger_workflows(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for name in ("sales", "marketing"):
        for status, error in (await notify(shared, name, "50% off!"), await trigger(shared, name)):
            assert status == 403
            assert "'support'" in error and "parent" in error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]  # refused, so nothing went out

    assert (await notify(shared, "support", "Your ticket is open"))[0] == 202
    assert (await trigger(shared, "support"))[0] == 202
    await shared.graph.wait_for_sent(2)
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "Your ticket is open"]


async def test_when_the_parent_detaches_the_next_service_is_parent(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    left = await shared.call("support", "DELETE", "/v1/services/support")  # its own token
    assert left.status == 200, left.raw
    assert set(left.json["detached"]) == {shared.number, "web:site"}

    for name in ("sales", "marketing"):
        event = await wait_for_event(
            shared.bot.sinks[name],
            "number.parent_changed",
            lambda data: data.get("number") == shared.number,
        )
        assert (event["data"]["previous_parent"], event["data"]["parent"]) == ("support", "sales")
    numbers = (await shared.call("sales", "GET", "/v1/numbers")).json["numbers"]
    assert {item["parent"] for item in numbers} == {"sales"}

    assert (await notify(shared, "sales", "Sales here now"))[0] == 202
    assert (await trigger(shared, "sales"))[0] == 202
    status, error = await notify(shared, "marketing", "me too?")
    assert status == 403 and "'sales'" in error
    # support left: the conversation is no longer its to see, nor to write to.
    assert (await notify(shared, "support", "still me"))[0] == 404
    await shared.graph.wait_for_sent(2)
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "Sales here now"]


async def test_the_admin_attaches_a_service_and_its_token_works(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    async with SubscriberSink("crm-secret-" + "i" * 20) as crm:
        body = {"name": "crm", "url": crm.url, "secret": crm.secret, "numbers": [shared.number]}
        created = await call(shared.bot, ADMIN, "POST", "/v1/services", body)
        assert created.status == 201, created.raw
        assert created.json["numbers"] == [shared.number]
        token = created.json["token"]

        numbers = (await call(shared.bot, token, "GET", "/v1/numbers")).json["numbers"]
        assert numbers == [
            {"number": shared.number, "services": [*THREE, "crm"], "parent": "support"}
        ]
        seen = await call(shared.bot, token, "GET", shared.path())
        assert seen.status == 200 and seen.json["messages"][0]["text"] == "hello"
        replied = await call(
            shared.bot, token, "POST", shared.path("messages"), {"text": "CRM here", "agent": "cy"}
        )
        assert replied.status == 201
        # A service hears of the number's conversations from the moment it is attached.
        await wait_for_event(crm, "message.outbound", lambda data: data.get("service") == "crm")

        again = await call(shared.bot, ADMIN, "POST", "/v1/services", body)
        assert again.status == 201 and "token" not in again.json
        assert (await call(shared.bot, token, "GET", "/v1/numbers")).status == 200
        order = await shared.bot.runtime.services.order(shared.number)
        assert order == [*THREE, "crm"]  # attached once, in its first place
        await shared.bot.stop()  # before its sink: nothing left in flight towards it


async def test_attaching_takes_the_admin_token_and_valid_fields(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    body = {"name": "crm", "url": "http://127.0.0.1:9/hook", "secret": "s" * 24}
    refused = await shared.call("support", "POST", "/v1/services", body)  # even the parent's
    assert refused.status == 403 and refused.error
    assert await shared.bot.runtime.services.get("crm") is None
    for bad in (
        {**body, "name": "bot"},  # the runtime's own service
        {**body, "name": "admin"},  # the operator's name on the API
        {**body, "name": "CRM"},
        {**body, "name": "two words"},
        {**body, "name": ""},
        {**body, "url": ""},
        {**body, "secret": ""},
        {**body, "numbers": ["wa:000"]},
        {**body, "numbers": "web:site"},
        {**body, "numbers": [""]},
    ):
        answer = await call(shared.bot, ADMIN, "POST", "/v1/services", bad)
        assert answer.status == 400, (bad, answer.raw)
        assert answer.error
    assert await shared.bot.runtime.services.get("crm") is None
    assert await shared.bot.runtime.services.order(shared.number) == list(THREE)
    # The admin token attaches services; it is no service, and speaks to no customer.
    spoken = await call(shared.bot, ADMIN, "POST", shared.path("messages"), {"text": "hi"})
    assert spoken.status == 403 and spoken.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]


async def test_a_service_detaches_itself_but_not_another(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    refused = await shared.call("sales", "DELETE", "/v1/services/marketing")
    assert refused.status == 403 and refused.error
    refused = await shared.call("support", "DELETE", "/v1/services/sales")  # the parent too
    assert refused.status == 403 and refused.error
    assert await shared.bot.runtime.services.order(shared.number) == list(THREE)

    left = await shared.call("sales", "DELETE", f"/v1/services/sales?number={shared.number}")
    assert left.status == 200 and left.json["detached"] == [shared.number]
    assert await shared.bot.runtime.services.order(shared.number) == ["support", "marketing"]
    assert await shared.bot.runtime.services.order("web:site") == list(THREE)

    again = await shared.call("sales", "DELETE", f"/v1/services/sales?number={shared.number}")
    assert again.status == 404 and again.error
    nobody = await call(shared.bot, ADMIN, "DELETE", "/v1/services/nobody")
    assert nobody.status == 404 and nobody.error
    removed = await call(shared.bot, ADMIN, "DELETE", "/v1/services/marketing")
    assert removed.status == 200
    assert set(removed.json["detached"]) == {shared.number, "web:site"}
    assert await shared.bot.runtime.services.order(shared.number) == ["support"]


async def test_a_service_opts_in_to_batches_with_a_valid_size(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    body = {"name": "crm", "url": "http://127.0.0.1:9/hook", "secret": "s" * 24}
    for batch in (
        {"max_events": 0},
        {"max_events": -1},
        {"max_events": 501},
        {"max_events": 10**12},
        {"max_events": "50"},
        {"max_events": 2.5},
        {"max_events": True},
        {"max_events": None},
        {"max_events": 50, "every": 1},
        {},
        50,
        "batch",
        [50],
        True,
    ):
        answer = await call(shared.bot, ADMIN, "POST", "/v1/services", {**body, "batch": batch})
        assert answer.status == 400, (batch, answer.raw)
        assert "batch" in answer.error
    assert await shared.bot.runtime.services.get("crm") is None

    opted = {**body, "batch": {"max_events": 50}}
    assert (await call(shared.bot, ADMIN, "POST", "/v1/services", opted)).status == 201
    found = await shared.bot.runtime.services.get("crm")
    assert found is not None and found.batch == 50
    assert (await call(shared.bot, ADMIN, "POST", "/v1/services", body)).status == 201
    found = await shared.bot.runtime.services.get("crm")
    assert found is not None and found.batch == 50  # redefined without: it stays
    off = {**body, "batch": None}
    assert (await call(shared.bot, ADMIN, "POST", "/v1/services", off)).status == 201
    found = await shared.bot.runtime.services.get("crm")
    assert found is not None and found.batch == 0  # null: one event per POST
