"""``POST /v1/services`` read ``mask`` as Python's truth: ``null``, ``0`` or ``""`` (a
client's way of leaving an option unset) turned masking off, the opposite of its
default, and the new service saw every other service's replies in full (SN-3). A field
the route does not know (``"masked": false``) was ignored. Both are now a 400, and
nothing is attached."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.test_api import call, shared_number

ADMIN = "admin-" + "a" * 32


@pytest.mark.parametrize(
    "extra",
    [{"mask": None}, {"mask": 0}, {"mask": ""}, {"mask": "false"}, {"masked": False}],
    ids=["null", "zero", "empty", "a string", "an unknown field"],
)
async def test_mask_is_true_or_false_and_other_fields_are_refused(
    make_bot: BotFactory, extra: dict[str, Any]
) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    body = {"name": "newcomer", "url": "http://127.0.0.1:9/hook", "secret": "s" * 20, **extra}
    answer = await call(shared.bot, ADMIN, "POST", "/v1/services", body)
    assert answer.status == 400, answer.raw
    listed = await call(shared.bot, ADMIN, "GET", "/v1/numbers")
    assert all("newcomer" not in n["services"] for n in listed.json["numbers"])


async def test_mask_false_still_turns_masking_off(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    body = {"name": "newcomer", "url": "http://127.0.0.1:9/hook", "secret": "s" * 20}
    answer = await call(shared.bot, ADMIN, "POST", "/v1/services", body | {"mask": False})
    assert answer.status == 201, answer.raw
