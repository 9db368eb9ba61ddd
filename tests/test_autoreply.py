"""Auto-replies, fed messages directly (AU-1): the welcome, keywords, regexes and
priorities, business hours and the away message, and one answer per interval."""

from __future__ import annotations

import time

import pytest

from bot.config.automation import AutomationSettings, KeywordRule, automation_settings
from bot.config.base import ConfigError
from bot.model import Identity, Inbound
from handlers.autoreply import AutoReply
from handlers.base import Context

RULES = AutomationSettings(
    welcome="Welcome!",
    rules=(
        KeywordRule(reply="Prices", keywords=("price", "cost")),
        KeywordRule(reply="Urgent", keywords=("refund",), priority=10),
        KeywordRule(reply="Order", pattern=r"\border\s*#?\d+"),
        KeywordRule(reply="Opening", keywords=("opening times",)),
    ),
)


def answers(text: str, first_contact: bool = False) -> list[str]:
    message = Inbound(
        channel="web",
        number="web:site",
        provider_id="p1",
        sender=Identity("vid", "v" * 20),
        kind="text",
        timestamp=time.time(),
        text=text,
    )
    context = Context(message=message, first_contact=first_contact)
    AutoReply(RULES).handle(context)
    return context.replies


def test_a_first_contact_gets_the_welcome_and_a_matching_answer() -> None:
    assert answers("hi", first_contact=True) == ["Welcome!"]
    assert answers("what does it cost?", first_contact=True) == ["Welcome!", "Prices"]


def test_keywords_match_whole_words_in_any_case() -> None:
    assert answers("PRICE please") == ["Prices"]
    assert answers("priceless") == []
    assert answers("What are your opening times?") == ["Opening"]


def test_the_highest_priority_rule_answers_alone() -> None:
    assert answers("refund the price") == ["Urgent"]


def test_regex_rules() -> None:
    assert answers("where is order #1234") == ["Order"]
    assert answers("I want to order") == []


def test_no_text_no_rule_and_no_welcome_after_the_first_contact() -> None:
    assert answers("") == []
    assert answers("hello again") == []


def at(local: str, zone: str) -> float:
    """Unix time of a wall-clock moment in a time zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).timestamp()


def reply_at(
    settings: AutomationSettings,
    now: float,
    text: str = "hello",
    *,
    first_contact: bool = False,
    last: float | None = None,
) -> list[str]:
    message = Inbound(
        channel="web",
        number="web:site",
        provider_id="p1",
        sender=Identity("vid", "v" * 20),
        kind="text",
        timestamp=now,
        text=text,
    )
    context = Context(message=message, first_contact=first_contact, now=now, last_auto_reply=last)
    AutoReply(settings).handle(context)
    return context.replies


NEW_YORK_LATE = automation_settings(
    {
        "welcome": "Welcome!",
        "rules": [{"keywords": ["price"], "reply": "Prices"}],
        "away": {
            "message": "We're closed; back at 9.",
            "timezone": "America/New_York",
            # Open late on Tuesday, through midnight, into Wednesday's small hours.
            "hours": {"tue": "09:00-24:00", "wed": "00:00-02:00, 09:00-17:00"},
            "holidays": ["2026-12-25"],
        },
    }
)


def test_the_away_message_follows_business_hours_across_midnight() -> None:
    zone = "America/New_York"
    # 2026-11-24 is a Tuesday. In UTC these moments are already Wednesday.
    assert reply_at(NEW_YORK_LATE, at("2026-11-24T23:30", zone), "price?") == ["Prices"]
    assert reply_at(NEW_YORK_LATE, at("2026-11-25T00:30", zone), "price?") == ["Prices"]
    assert reply_at(NEW_YORK_LATE, at("2026-11-25T02:30", zone), "price?") == [
        "We're closed; back at 9."
    ]
    assert reply_at(NEW_YORK_LATE, at("2026-11-24T08:59", zone)) == ["We're closed; back at 9."]
    assert reply_at(NEW_YORK_LATE, at("2026-11-26T12:00", zone)) == ["We're closed; back at 9."]


def test_a_holiday_is_closed_all_day() -> None:
    settings = automation_settings(
        {
            "away": {
                "message": "Closed today",
                "hours": {"fri": "00:00-24:00"},
                "holidays": ["2026-12-25"],
                "timezone": "Europe/London",
            }
        }
    )
    assert reply_at(settings, at("2026-12-25T12:00", "Europe/London")) == ["Closed today"]
    assert reply_at(settings, at("2027-01-01T12:00", "Europe/London")) == []


def test_one_auto_reply_per_contact_per_interval() -> None:
    settings = automation_settings(
        {
            "welcome": "Welcome!",
            "reply_interval": 600,
            "rules": [{"keywords": ["price"], "reply": "Prices"}],
        }
    )
    now = 1_800_000_000.0
    # The answer to the question beats the greeting when only one may go.
    assert reply_at(settings, now, "price?", first_contact=True) == ["Prices"]
    assert reply_at(settings, now + 30, "price?", last=now) == []
    assert reply_at(settings, now + 601, "price?", last=now) == ["Prices"]


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ({"away": {"hours": {"mon": "09:00-17:00"}}}, r"away\.message: is required"),
        ({"away": {"message": "x", "timezone": "Mars/Olympus"}}, "unknown time zone"),
        ({"away": {"message": "x", "hours": {"mon": "9 to 5"}}}, "not like 09:00-17:30"),
        ({"away": {"message": "x", "hours": {"mon": "17:00-09:00"}}}, "ends before it starts"),
        ({"away": {"message": "x", "hours": {"funday": "09:00-17:00"}}}, "must be 'mon', 'tue'"),
        ({"away": {"message": "x", "holidays": ["Christmas"]}}, "must be a date like 2026-12-25"),
        ({"reply_interval": -5}, "reply_interval: must be at least 0"),
        ({"reply_interval": "often"}, "reply_interval: must be a number"),
        ({"fallback": ["x"]}, "fallback: must be"),
    ],
)
def test_broken_automation_config_is_a_clear_error(section: dict[str, object], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        automation_settings(section)


def fallback_answers(
    section: dict[str, object], text: str, *, may: bool = True, last: float | None = None
) -> tuple[list[str], bool]:
    message = Inbound(
        channel="web",
        number="web:site",
        provider_id="p1",
        sender=Identity("vid", "v" * 20),
        kind="text",
        timestamp=time.time(),
        text=text,
    )
    context = Context(
        message=message, first_contact=False, now=2_000, last_auto_reply=last, may_fall_back=may
    )
    AutoReply(automation_settings(section)).handle(context)
    return context.replies, context.fell_back


FALLBACK = {
    "fallback": " We'll get back to you. ",
    "rules": [{"keywords": ["price"], "reply": "Prices"}],
}


def test_the_fallback_answers_what_nothing_else_answered() -> None:
    assert fallback_answers(FALLBACK, "my parcel is wet") == (["We'll get back to you."], True)
    assert fallback_answers(FALLBACK, "the price?") == (["Prices"], False)


def test_the_fallback_keeps_out_of_the_way_when_told() -> None:
    # The pipeline says no (opted out, claimed, a person answered lately, or it went lately).
    assert fallback_answers(FALLBACK, "my parcel is wet", may=False) == ([], False)
    # The reply interval silences it like any automated answer.
    quiet = {**FALLBACK, "reply_interval": 600}
    assert fallback_answers(quiet, "my parcel is wet", last=1_900) == ([], False)


def test_no_fallback_when_unset() -> None:
    assert fallback_answers({}, "my parcel is wet") == ([], False)
    assert fallback_answers({"fallback": None}, "my parcel is wet") == ([], False)
    assert automation_settings({}).fallback == ""
