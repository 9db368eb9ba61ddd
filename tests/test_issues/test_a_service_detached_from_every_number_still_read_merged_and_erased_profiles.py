"""A service detached from every number kept a token that still looked up, merged,
converted and erased any customer's profile and read their notes: the operator who
detached a vendor's CRM had no way to stop it short of issuing it a new token it would
never see. Detached everywhere, it is refused (403) until it is attached again; the
services still attached and the operator are not."""

from __future__ import annotations

from urllib.parse import quote

from tests.conftest import BotFactory
from tests.test_api import shared_number

WA_ID = "447911123456"


async def test_a_service_attached_nowhere_is_refused_the_profiles(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    reference = quote(f"wa:{WA_ID}", safe="")
    before = await shared.call("sales", "GET", f"/v1/profiles/{reference}")
    assert before.status == 200

    directory = shared.bot.runtime.directory
    numbers = [
        n for n in await directory.store.numbers() if "sales" in await directory.store.order(n)
    ]
    assert len(numbers) == 2  # the WhatsApp number and the web chat
    for number in numbers:
        await directory.detach(number, "sales")
    for method, path in [
        ("GET", f"/v1/profiles/{reference}"),
        ("GET", f"/v1/profiles?identity={reference}"),
        ("GET", f"/v1/profiles/{reference}/notes"),
        ("POST", f"/v1/profiles/{reference}/convert"),
        ("DELETE", f"/v1/profiles/{reference}"),
    ]:
        answer = await shared.call("sales", method, path)
        assert answer.status == 403, (method, path, answer.raw)
        assert "attached to no number" in answer.error
        assert "hello" not in answer.raw.decode()

    # Nothing was done: the profile is there, still a lead, for those still attached.
    kept = await shared.call("support", "GET", f"/v1/profiles/{reference}")
    assert kept.status == 200 and kept.json["profile"]["stage"] == "lead"

    await directory.attach(shared.number, "sales")
    again = await shared.call("sales", "GET", f"/v1/profiles/{reference}")
    assert again.status == 200


async def test_nor_through_the_live_view(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    reference = f"wa:{WA_ID}"
    issued = await shared.call(
        "sales", "POST", "/v1/live-tokens", {"profile": reference, "agent": "mallory"}
    )
    assert issued.status == 201, issued.raw
    earlier = issued.json["token"]
    directory = shared.bot.runtime.directory
    for number in [n for n in await directory.store.numbers()]:
        if "sales" in await directory.store.order(number):
            await directory.detach(number, "sales")

    refused = await shared.call(
        "sales", "POST", "/v1/live-tokens", {"profile": reference, "agent": "mallory"}
    )
    assert refused.status == 403 and "attached to no number" in refused.error
    state = await shared.bot.client.get(
        "/live/api/state", headers={"Authorization": f"Bearer {earlier}"}
    )
    assert state.status == 401  # a token it issued before goes with it
    assert "Ann" not in await state.text()
