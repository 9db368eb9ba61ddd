"""The patterns of the keyword and regex rules (AU-1), shared by the auto-replies and the
rules that start guided conversations: compiled once, from the rule, and matched within
a time bound, so that no pattern of a config file can hold the process up on a message."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import regex

from bot.config.automation import KeywordRule
from bot.config.flows import caseless

MATCH_SECONDS = 0.05
"""The longest one rule may take on one message; past it, the rule does not match. A
pattern that backtracks on some text (``(a|aa)+$``) would otherwise take the process's one
thread for seconds, hours, on a message any customer can send."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RulePattern:
    """A rule's regex as written, or its keywords as whole words; any case."""

    compiled: regex.Pattern[str]
    bounded: bool = True
    """Matched within ``MATCH_SECONDS``: a pattern as written. Keywords need no bound (a
    choice of escaped words is matched in one pass), and the bound costs a few µs a search,
    on every message for every rule."""
    folded: bool = False
    """Matched in the message's ``caseless`` form: keywords, compiled in theirs, so that
    they compare as a flow's choices do."""

    def search(self, text: str) -> bool:
        """Whether the pattern is found in ``text`` (within ``MATCH_SECONDS``)."""
        if self.folded:
            text = caseless(text)
        if not self.bounded:
            return self.compiled.search(text) is not None
        try:
            return self.compiled.search(text, timeout=MATCH_SECONDS) is not None
        except TimeoutError:
            log.warning(
                "the rule pattern %r took more than %g s on a message of %d characters: "
                "taken as no match; a pattern that backtracks less would answer it",
                self.compiled.pattern,
                MATCH_SECONDS,
                len(text),
            )
            return False


APOSTROPHES = "'\u2018\u2019\u02bc"
"""The apostrophes people type: the straight one, and the curly ones phones put in."""
_APOSTROPHE = regex.compile(f"[{APOSTROPHES}]")


def _phrase(keyword: str) -> str:
    """A keyword's pattern: its words with any white space between them, and any of the
    apostrophes for one ("what's up" as typed on a phone, "opening  times")."""
    words = caseless(keyword).split()
    return r"\s+".join(
        f"[{APOSTROPHES}]".join(regex.escape(part) for part in _APOSTROPHE.split(word))
        for word in words
    )


UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
"""Scripts written without spaces between words: a keyword's characters of these are
found within a run of them, which a whole-word match would take as one word."""
_UNSPACED = regex.compile(f"[{UNSPACED}]")
_BEFORE = rf"(?<![\w--[{UNSPACED}]])"
_AFTER = rf"(?![\w--[{UNSPACED}]])"
"""Whole words of the spaced scripts: no letter or digit of theirs just before or after
(one of an unspaced script may be: "你好hours")."""


def _keyword(keyword: str) -> str:
    """A keyword as a whole word; where it begins or ends in an unspaced script, anywhere
    in a run of that script."""
    folded = caseless(keyword).strip()
    before = "" if _UNSPACED.match(folded) else _BEFORE
    after = "" if folded and _UNSPACED.match(folded[-1]) else _AFTER
    return f"{before}{_phrase(keyword)}{after}"


def rule_pattern(rule: KeywordRule) -> RulePattern:
    if rule.pattern:
        return RulePattern(regex.compile(rule.pattern, regex.IGNORECASE))
    # IGNORECASE folds one character to one: "STRASSE" would not be "straße".
    words = "|".join(_keyword(word) for word in rule.keywords)
    compiled = regex.compile(f"(?:{words})", regex.V1)
    return RulePattern(compiled, bounded=False, folded=True)
