"""``/notify wa topic=offers topic=news hi`` sent at once to the topic named last, without
a word of the first, and ``quiet=maybe`` (the usage says ``quiet=off``) was taken as
quiet hours kept. A live send's audience and hours are not guessed: an option given
twice is refused, and ``quiet=`` takes off or on (no, yes, false, true), nothing else.
Nothing is created for a refused line."""

from __future__ import annotations

import pytest

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_notifications import setup

AGENT = Caller("ann@example.com", "agent")


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("/notify wa topic=offers topic=news hi", "topic= is given twice"),
        ("/notify wa topic=offers quiet=off quiet=on hi", "quiet= is given twice"),
        ("/notify wa topic=offers quiet=maybe hi", "quiet=off or quiet=on"),
    ],
)
async def test_an_unclear_line_is_refused_and_nothing_is_made(
    make_bot: BotFactory, line: str, said: str
) -> None:
    shared = await setup(make_bot)
    answer = await shared.bot.runtime.commands.run(AGENT, line)
    assert said in answer and not answer.startswith(("Scheduled", "Sending")), answer
    notifications = shared.bot.runtime.outreach.notifications
    assert await notifications.store.of_number(shared.number) == []


async def test_quiet_on_and_off_are_taken(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    for word in ("off", "ON", "no", "yes"):
        answer = await shared.bot.runtime.commands.run(
            AGENT, f"/notify wa topic=offers quiet={word} draft hello"
        )
        assert answer.startswith("Drafted"), answer
