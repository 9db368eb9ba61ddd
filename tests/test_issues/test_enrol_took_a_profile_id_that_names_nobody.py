"""``admin enrol manual p_doesnotexist`` (or ``/enrol``) said "Enrolled", and kept an
enrolment whose steps were then skipped one by one as ``no_channel``; a conversation id
that names no conversation the same. Both name nobody, and are refused; nothing is kept."""

from __future__ import annotations

import pytest

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_sequences import NO_QUIET, drip

ADMIN = Caller("ann@example.com", "admin")


@pytest.mark.parametrize("customer", ["p_doesnotexist0000000000", "c_00000000000000000000"])
async def test_enrolling_nobody_is_refused(make_bot: BotFactory, customer: str) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    answer = await shared.bot.runtime.commands.run(ADMIN, f"/enrol welcome {customer}")
    assert answer.startswith("no "), answer
    assert customer in answer
    report = await shared.call("support", "GET", "/v1/sequences/welcome")
    assert report.json["sequence"]["enrolments"]["enrolled"] == 0
