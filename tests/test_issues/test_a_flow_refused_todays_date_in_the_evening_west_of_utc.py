"""A guided conversation refused today's date every evening west of UTC.

As a customer of a New York business saw it: at 20:00 on 9 June, asked for a day that is
not in the past, they answered 09/06/2026 and were told "Please give a date that isn't in
the past": the flow's "today" was UTC's (10 June), as a flow's own ``timezone`` key,
which README never named, defaulted to UTC whatever the business's hours said.

What must hold: with no ``timezone`` of its own, a flow's "today" is the business hours'
(``away.timezone``).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.test_flows import Chat, engine

EVENING = datetime(2026, 6, 9, 20, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()


def test_today_is_the_business_s() -> None:
    flows = engine(
        {
            "away": {"message": "Closed.", "timezone": "America/New_York", "hours": {}},
            "flows": {
                "book": {
                    "start": ["book"],
                    "steps": [{"id": "day", "ask": "Which day?", "input": "date", "future": True}],
                    "end": "See you on {day}.",
                }
            },
        }
    )
    chat = Chat(flows, now=EVENING)
    chat.say("book")
    answered = chat.say("09/06/2026")
    assert [reply.text for reply in answered.replies] == ["See you on 2026-06-09."]
