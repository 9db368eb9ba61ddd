"""Three answers of the API differed from docs/api.md and docs/openapi.json:
``PUT /v1/profiles/{ref}/consent`` took unknown fields (its schema allows none);
``POST /v1/notifications/{id}/stop`` and ``POST /v1/sequences/{name}/enrolments`` refused
bodies over 16 KiB where the documented limit is 64 KiB (and the 413s of stop, test and
consent were not in the schema); and a 405 named no allowed methods (RFC 9110 15.5.6
wants ``Allow``)."""

from __future__ import annotations

import json

from tests.conftest import BotFactory
from tests.test_api import WA_ID, call, shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

PADDING = "x" * (20 * 1024)


async def test_consent_takes_no_unknown_field(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    path = f"/v1/profiles/wa:{WA_ID}/consent"
    answer = await shared.call("support", "PUT", path, {"basis": "consent", "zzz": 1})
    assert answer.status == 400 and "zzz" in answer.error
    profile = await shared.call("support", "GET", f"/v1/profiles/wa:{WA_ID}")
    assert "consent" not in json.dumps(profile.json["profile"].get("fields", {}))


async def test_bodies_up_to_64_kib_are_read(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    enrol = await shared.call(
        "support",
        "POST",
        "/v1/sequences/welcome/enrolments",
        {"conversation": shared.conversation, "padding": PADDING},
    )
    assert enrol.status != 413, enrol.raw
    stop = await shared.call(
        "support", "POST", "/v1/notifications/ntf_none/stop", {"reason": "x", "pad": PADDING}
    )
    assert stop.status == 404, stop.raw


async def test_a_405_names_the_allowed_methods(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["support"]
    answer = await call(shared.bot, token, "POST", "/v1/numbers", {})
    assert answer.status == 405 and answer.error
    async with shared.bot.client.post(
        "/v1/numbers", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert "GET" in response.headers.get("Allow", "")
