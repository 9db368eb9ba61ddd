"""``POST /v1/profiles/{ref}/convert`` and ``POST /v1/notifications/{id}/send`` never read
their bodies: 2 MiB of anything, or JSON cut short, converted the profile or sent the
campaign with a 200 or a 202, where every other route answers 413 or 400 and does
nothing. Both take an empty body or ``{}`` now, and refuse anything else."""

from __future__ import annotations

import io
import time

from tests.conftest import BotFactory
from tests.test_api import WA_ID, Shared, call
from tests.test_notifications import Person, report, seed, setup
from tests.test_notifications_drafts import draft, review

BIG = b"x" * (2 * 1024 * 1024)


async def refused(shared: Shared, path: str) -> None:
    token = shared.tokens["support"]
    headers = {"Content-Type": "application/json"}
    big = await call(shared.bot, token, "POST", path, data=io.BytesIO(BIG), headers=headers)
    assert big.status == 413, big.raw
    keyed = headers | {"Idempotency-Key": "7d1c6a0e-5f2b-4c1e-9a51-2f3e1d0c9b8a"}
    big = await call(shared.bot, token, "POST", path, data=io.BytesIO(BIG), headers=keyed)
    assert big.status == 413, big.raw
    for body in (b'{"text": "hi"', b"[]", b'"\\ud800"', b'{"reason": "why"}'):
        answer = await call(shared.bot, token, "POST", path, data=body, headers=headers)
        assert answer.status == 400, (body, answer.raw)


async def test_a_conversion_with_a_body_it_cannot_take_converts_nothing(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    path = f"/v1/profiles/wa:{WA_ID}/convert"
    await refused(shared, path)
    found = await shared.call("support", "GET", f"/v1/profiles/wa:{WA_ID}")
    assert found.json["profile"]["stage"] == "lead", found.raw
    answer = await shared.call("support", "POST", path, {})
    assert answer.status == 200 and answer.json["profile"]["stage"] == "contact", answer.raw


async def test_a_drafts_send_with_a_body_it_cannot_take_sends_nothing(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person("447911400101", wrote_at=time.time())])
    nid = await draft(
        shared, {"number": shared.number, "text": "Draft", "audience": {"topic": "offers"}}
    )
    await review(shared, nid)
    await refused(shared, f"/v1/notifications/{nid}/send")
    assert (await report(shared, nid))["status"] == "reviewed"
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/send")
    assert answer.status == 202, answer.raw
