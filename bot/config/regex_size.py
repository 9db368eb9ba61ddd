"""How large a rule's regex is with its repeats written out, read without compiling it:
the regex module unrolls counted repeats as it compiles, so a short pattern can ask for
gigabytes before any match's time bound applies."""

from __future__ import annotations

import re

MAX_PATTERN_SIZE = 10_000
"""Parts (characters, classes, escapes and groups) of a rule's regex with its repeats
written out: ``(?:ab){3}`` is 9, the group and its two letters three times. The regex
module compiles such a pattern in a few milliseconds and megabytes; it took 40 MB and
50 ms for ``(?:x{1000}){100}`` (100,000), and ran the process out of memory for
``(?:x{30000}){30000}``. No message is as long as a pattern of 10,000 parts needs."""

_COUNT = re.compile(r"\{([0-9]+)(?:,([0-9]*))?\}|\{,([0-9]+)\}")
"""A counted repeat, as the regex module reads one (``{3}``, ``{3,}``, ``{3,5}``,
``{,5}``); any other ``{`` is a character."""
_VERBOSE = re.compile(r"\(\?[a-zA-Z^-]*x")
"""An inline flag that turns on the verbose mode, where spaces and ``#`` comments are no
parts of the pattern."""
_POSIX = re.compile(r"\[:\^?[a-zA-Z]+:\]")
_BRACED = ("N", "p", "P")
"""Escapes that take a name in braces (``\\N{EM DASH}``, ``\\p{L}``): the braces are no
repeat."""


def too_large(pattern: str) -> bool:
    """Whether ``pattern`` has more than MAX_PATTERN_SIZE parts with its repeats written
    out, each counted its larger number of times (``{2,5}`` 5, ``+`` and ``*`` once)."""
    verbose = _VERBOSE.search(pattern) is not None
    groups = [0]  # the size of the pattern so far, then of each group open in it
    last = 0  # the size of the part just read: the one a repeat repeats
    total = 0  # of all read so far
    at = 0
    while at < len(pattern):
        char = pattern[at]
        count = _COUNT.match(pattern, at) if char == "{" else None
        if count is not None or char in "*+?":
            times = max([1, *(int(n) for n in count.groups() if n)]) if count else 1
            groups[-1] += last * (times - 1)
            total += last * (times - 1)
            last *= times
            at = count.end() if count else at + 1
        elif pattern.startswith("(?#", at):
            at = _past(pattern, ")", at)
        elif verbose and (char.isspace() or char == "#"):
            at = _past(pattern, "\n", at) if char == "#" else at + 1
        elif char == "(":
            groups.append(1)
            total += 1
            last = 0
            at += 1
        elif char == ")" and len(groups) > 1:
            last = groups.pop()
            groups[-1] += last
            at += 1
        elif char == "|":
            last = 0
            at += 1
        else:
            at = _past_escape(pattern, at) if char == "\\" else at + 1
            if char == "[":
                at = _past_class(pattern, at)
            groups[-1] += 1
            total += 1
            last = 1
        if total > MAX_PATTERN_SIZE:
            return True  # before the numbers grow: ((x{99999}){99999}){99999}...
    return False


def _past(pattern: str, end: str, at: int) -> int:
    """Where the text after the next ``end`` (past ``at``) begins; the end of the pattern
    if there is none."""
    found = pattern.find(end, at + 1)
    return len(pattern) if found < 0 else found + len(end)


def _past_escape(pattern: str, at: int) -> int:
    if pattern[at + 1 : at + 2] in _BRACED and pattern[at + 2 : at + 3] == "{":
        return _past(pattern, "}", at)
    return at + 2


def _past_class(pattern: str, at: int) -> int:
    """Where the text after the character class whose content begins at ``at`` begins."""
    if pattern.startswith("^", at):
        at += 1
    if pattern.startswith("]", at):  # first, it is one of the class's characters
        at += 1
    while at < len(pattern) and pattern[at] != "]":
        posix = _POSIX.match(pattern, at)
        if posix is not None:
            at = posix.end()
        else:
            at = _past_escape(pattern, at) if pattern[at] == "\\" else at + 1
    return at + 1
