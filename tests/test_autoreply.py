"""Auto-replies, fed messages directly: the welcome, keywords, regexes and priorities."""

from __future__ import annotations

import time

from bot.config import AutomationSettings, KeywordRule
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
