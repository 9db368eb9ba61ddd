"""``str.isdigit()`` is true of '²' and '٣': a recipients cursor of '²' answered with
Python's "invalid literal for int()", and '٣' was read as offset 3; a cron field of '²'
failed the same way. Cursors and cron numbers are now ASCII digits, and anything else
gets the route's own refusal."""

from __future__ import annotations

import pytest

from bot.outreach.cron import Cron, CronError
from tests.conftest import BotFactory
from tests.test_notifications import campaign, finished, setup


@pytest.mark.parametrize("cursor", ["²", "٣", "\uff11"])
async def test_a_recipients_cursor_is_ascii_digits(make_bot: BotFactory, cursor: str) -> None:
    shared = await setup(make_bot)
    body = {
        "number": shared.number,
        "text": "Hello",
        "audience": {"conversations": [shared.conversation]},
    }
    nid = await campaign(shared, body)
    await finished(shared, nid)
    path = f"/v1/notifications/{nid}/recipients?status=sent&cursor={cursor}"
    answer = await shared.call("support", "GET", path)
    assert answer.status == 400, answer.raw
    assert answer.json["error"] == "'cursor' is the next_cursor of the page before"


@pytest.mark.parametrize("expression", ["0 ² * * *", "*/² * * * *", "0 ٣ * * *"])
def test_cron_numbers_are_ascii_digits(expression: str) -> None:
    with pytest.raises(CronError, match="number"):
        Cron.parse(expression)
