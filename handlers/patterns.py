"""The patterns of the keyword and regex rules (AU-1), shared by the auto-replies and the
rules that start guided conversations: compiled once, from the rule."""

from __future__ import annotations

import re

from bot.config.automation import KeywordRule


def rule_pattern(rule: KeywordRule) -> re.Pattern[str]:
    """A rule's regex as written, or its keywords as whole words; any case."""
    if rule.pattern:
        return re.compile(rule.pattern, re.IGNORECASE)
    words = "|".join(re.escape(word) for word in rule.keywords)
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)
