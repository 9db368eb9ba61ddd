"""An erased profile named to an enrolment, a workflow event or a live-view token got
410 "profile p_… was erased", without the "erased at" time that ``/v1/profiles`` and
openapi's ``ProfileErased`` give. Every route's 410 now says when."""

from __future__ import annotations

import re
import time

from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip


async def test_every_410_for_an_erased_profile_says_when(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    book = shared.bot.runtime.profile_book
    erased = await book.find(f"wa:{WA_ID}")
    before = time.time()
    await book.erase(erased)
    answers = [
        await shared.call("support", "GET", f"/v1/profiles/{erased}"),
        await shared.call(
            "support", "POST", "/v1/sequences/welcome/enrolments", {"profile": erased}
        ),
        await shared.call(
            "support",
            "POST",
            "/v1/events",
            {"type": "signup", "number": shared.number, "profile": erased},
        ),
    ]
    for answer in answers:
        assert answer.status == 410, answer.raw
        found = re.fullmatch(rf"profile {erased} was erased; erased at (\d+)", answer.error)
        assert found and before - 1 <= int(found[1]) <= time.time() + 1, answer.error
