"""A drip sequence's wait of seconds was shown rounded down to minutes.

As the team saw it: a step written ``wait: 30s`` (which the config takes) was listed by
``/sequences drip`` as "(after 0m)", and one of 90 seconds as "(after 1m)"; a wait of a
day and a half as "(after 36h)". Each wait is shown as it is written now.
"""

from __future__ import annotations

from bot.config.sequences import sequence_definitions
from handlers.ports import Caller
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import NUMBER

VIEWER = Caller("vic@example.com", "viewer")


async def test_each_wait_as_written(make_bot: BotFactory) -> None:
    steps = [
        {"wait": wait, "name": f"step {n}", "text": f"Step {n}."}
        for n, wait in enumerate(("30s", "90s", "1d12h", "2h30m"), 1)
    ]
    trigger = {"topic_joined": "news"}
    written = {"name": "drip", "number": NUMBER, "trigger": trigger, "steps": steps}
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=sequence_definitions([written])
    )
    report = await shared.bot.runtime.commands.run(VIEWER, "/sequences drip")
    for shown in ("1. step 1 (after 30s)", "2. step 2 (after 1m30s)", "3. step 3 (after 1d12h)"):
        assert shown in report, report
    assert "4. step 4 (after 2h30m)" in report, report
