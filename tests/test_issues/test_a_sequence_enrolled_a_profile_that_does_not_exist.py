"""An outside fuzz run posted ``{"profile": "p_nope"}`` to ``POST
/v1/sequences/welcome/enrolments`` and got 202 ``{"enrolled": true}``; the sequence's
report counted one more enrolment, of nobody. Made-up ids of every shape (all zeros, 250
characters, not ASCII) did the same, although ``GET /v1/profiles/p_nope`` answers 404
and api.md's errors table says 404 for "no profile with that id".

What must hold: a profile id that names no profile is a 404 saying so, as the profile
route's (an erased one is 410, as there), and the sequence's counts and enrolments are
unchanged."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip, sequence_report

MADE_UP = ("p_nope", "p_0000000000000000000000", "p_" + "a" * 248, "p_éé")


@pytest.mark.parametrize("profile", MADE_UP, ids=("nope", "zeros", "long", "accented"))
async def test_enrolling_a_profile_that_does_not_exist_is_404(
    make_bot: BotFactory, profile: str
) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    looked_up = await shared.call("support", "GET", f"/v1/profiles/{profile}")
    assert looked_up.status == 404, looked_up.raw
    before = await sequence_report(shared)

    path = "/v1/sequences/welcome/enrolments"
    answer = await shared.call("support", "POST", path, {"profile": profile})
    assert answer.status == 404, answer.raw
    assert answer.error == looked_up.error == f"no profile {profile}"
    assert await sequence_report(shared) == before
    shown = await shared.call("support", "GET", f"{path}/{profile}")
    assert shown.status == 404, shown.raw

    real = await shared.call("support", "POST", path, {"profile": f"wa:{WA_ID}"})
    assert real.status == 202 and real.json["enrolled"] is True, real.raw


async def test_enrolling_an_erased_profile_is_410(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    book = shared.bot.runtime.profile_book
    erased = await book.find(f"wa:{WA_ID}")
    await book.erase(erased)
    before = await sequence_report(shared)

    path = "/v1/sequences/welcome/enrolments"
    answer = await shared.call("support", "POST", path, {"profile": erased})
    assert answer.status == 410, answer.raw
    assert answer.error.startswith(f"profile {erased} was erased; erased at ")
    assert await sequence_report(shared) == before
