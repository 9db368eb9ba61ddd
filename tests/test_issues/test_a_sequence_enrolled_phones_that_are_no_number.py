"""``POST /v1/sequences/{name}/enrolments`` with ``{"phone": "000-000"}`` (or
``"(000) 000-0000"``) answered 202 and stored the string as an active enrolment, which
every step then skipped as ``invalid_number``. Such a phone is a 400, and nothing is kept."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip


@pytest.mark.parametrize("phone", ["000-000", "111-111", "(000) 000-0000", "0000000"])
async def test_a_phone_that_is_no_number_is_refused(make_bot: BotFactory, phone: str) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    path = "/v1/sequences/welcome/enrolments"
    answer = await shared.call("support", "POST", path, {"phone": phone})
    assert answer.status == 400 and answer.error.startswith("'phone': ")
    report = await shared.call("support", "GET", "/v1/sequences/welcome")
    assert report.json["sequence"]["enrolments"]["enrolled"] == 0
