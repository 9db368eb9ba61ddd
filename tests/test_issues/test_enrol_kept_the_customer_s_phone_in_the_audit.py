"""``/enrol`` and ``/unenrol`` (and ``admin enrol``, which runs them) kept the customer as
typed in the team's audit trail, a phone or an email that an erasure then left behind,
where ``/profile``, ``/merge`` and ``/forget`` keep ``<identity>``. They keep it too now;
a profile or conversation id is kept as given."""

from __future__ import annotations

import pytest

from handlers.commands import Caller
from tests.conftest import BotFactory

ADMIN = Caller("ann@example.com", "admin")


@pytest.mark.parametrize("command", ["enrol", "unenrol"])
async def test_the_customer_of_an_enrolment_is_kept_as_identity(
    make_bot: BotFactory, command: str
) -> None:
    bot = await make_bot()
    for customer in ("+447911300702", "email:unc@example.com", "c_0991e553a0d488f901a7"):
        await bot.runtime.commands.run(ADMIN, f"/{command} welcome {customer}")
    trail = await bot.runtime.desk.audit_trail()
    kept = [entry["command"] for entry in trail[:3]]
    assert kept == [
        f"/{command} welcome c_0991e553a0d488f901a7",
        f"/{command} welcome <identity>",
        f"/{command} welcome <identity>",
    ]
    assert "447911300702" not in str(trail) and "unc@example.com" not in str(trail)
