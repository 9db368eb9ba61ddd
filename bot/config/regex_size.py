"""How large a rule's regex is with its repeats written out, read without compiling it:
the regex module unrolls counted repeats as it compiles, so a short pattern can ask for
gigabytes before any match's time bound applies."""

from __future__ import annotations

from typing import Any

import regex

# The regex module's own parser, which compiling runs first: it reads inline flags,
# verbose comments, escapes and classes exactly as the compile will, and keeps each
# repeat as one node with its counts. A reading of our own was fooled into skipping
# parts ("(?x" inside a class taken for the verbose flag). Not in types-regex's stubs.
from regex._regex_core import (  # type: ignore[attr-defined]
    Info,
    RegexBase,
    Source,
    _parse_pattern,
    _UnscopedFlagSet,
    error,
)

MAX_PATTERN_SIZE = 10_000
"""Parts (characters, classes, escapes and groups) of a rule's regex with its repeats
written out: ``(?:ab){3}`` is 9, the group and its two letters three times. The regex
module compiles such a pattern in a few milliseconds and megabytes; it took 40 MB and
50 ms for ``(?:x{1000}){100}`` (100,000), and ran the process out of memory for
``(?:x{30000}){30000}``. No message is as long as a pattern of 10,000 parts needs."""

_CAP = MAX_PATTERN_SIZE + 2
"""A size past which a sum need not go: the root's own part, then one too many."""


def too_large(pattern: str, flags: int = 0) -> bool:
    """Whether ``pattern`` (compiled with ``flags``) has more than MAX_PATTERN_SIZE parts
    with its repeats written out, each counted its larger number of times (``{2,5}`` 5,
    ``+`` and ``*`` once). A pattern that is no regex is not: compiling it fails before
    it takes any memory."""
    try:
        # The tree's root, the pattern as a whole, is no part of it: "ab" has 2.
        return _size(_parsed(pattern, flags)) - 1 > MAX_PATTERN_SIZE
    except (error, OverflowError, ValueError, RecursionError):
        return False


def _parsed(pattern: str, flags: int) -> Any:
    """The regex module's tree of ``pattern``, as its compile reads it."""
    while True:
        source = Source(pattern)
        info = Info(flags, source.char_type, {})
        source.ignore_space = bool(info.flags & regex.VERBOSE)
        try:
            return _parse_pattern(source, info)
        except _UnscopedFlagSet:  # a global flag further on: read again with it
            flags = info.global_flags


def _size(node: Any) -> int:
    """The parts of ``node`` with its repeats written out, up to one past the most."""
    if hasattr(node, "min_count") and hasattr(node, "max_count"):
        times = max(1, node.min_count, node.max_count or 0)
        return min(times * _size(node.subpattern), _CAP)
    size = 1
    for value in vars(node).values():
        for child in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(child, RegexBase):
                size = min(size + _size(child), _CAP)
    return size
