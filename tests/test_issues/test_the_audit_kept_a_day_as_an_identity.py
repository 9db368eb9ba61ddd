"""``/profile +447911123456 notes 2026-02-30`` (refused) was kept in the audit trail as
``/profile <identity> notes <identity>``: a day, eight digits with dashes, was taken for
a phone. The audit keeps a day as typed, and still hides the phone."""

from __future__ import annotations

import json

from tests.conftest import BotFactory
from tests.test_team_commands import VIEWER, WA_ID, team


async def test_the_audit_keeps_the_day_and_hides_the_phone(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    # Refused, so kept: a viewer may not convert, and no day is the 30th of February.
    await t.run(VIEWER, f"/profile +{WA_ID} notes 2026-02-30")
    await t.run(VIEWER, "/inbox 2026-11-21")  # where no day is asked for: kept all the same
    trail = json.dumps(await t.desk.audit_trail(5))
    assert "/profile <identity> notes 2026-02-30" in trail, trail
    assert "/inbox 2026-11-21" in trail, trail
    assert WA_ID not in trail
