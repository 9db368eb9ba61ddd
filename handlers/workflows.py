"""Workflow rules (AU-3) and the placeholders of notification texts and template variables.

Deciding only: which rules an event matches, and what a text says once ``{ticket.id}`` or
``{profile.name}`` is filled in. Sending is ``bot.notifications``' job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.config.notifications import WorkflowRule

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w-]*(?:\.[\w-]+)*)(?:\|([^{}]*))?\}")
"""``{ticket.id}``, ``{profile.name|there}`` (a default after ``|``)."""
_HELD = str.maketrans("{}", "\ufdd0\ufdd1")
"""A value's braces while its text waits for a later fill: Unicode noncharacters, kept for
a program's internal use, which no placeholder matches."""
_FREED = str.maketrans("\ufdd0\ufdd1", "{}")


def event_context(
    type: str, number: str, data: Mapping[str, Any], event_id: str = ""
) -> dict[str, Any]:
    """What an event's placeholders and ``when`` conditions read: its data at the top
    level and under ``data``, and under the type's noun (``ticket`` for
    ``ticket.created``) unless the data has that key itself."""
    context: dict[str, Any] = dict(data)
    context["data"] = dict(data)
    context["event"] = {"type": type, "number": number, "id": event_id}
    noun = type.split(".", 1)[0]
    context.setdefault(noun, dict(data))
    return context


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or None; a list is indexed by a number (``items.0``)."""
    node: Any = context
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None  # whole: a message it makes too long is skipped as too_long


def as_shown(text: str) -> str:
    """A text that waits for its recipients' fill (a workflow's, with the event's values in
    it) as people read it: the event's braces as they were sent."""
    return text.translate(_FREED)


def fill(
    text: str, context: Mapping[str, Any], *, keep: Iterable[str] = ()
) -> tuple[str, list[str]]:
    """``text`` with its placeholders filled from ``context``, and the names of those
    that have no value and no default. Placeholders whose first part is in ``keep`` stay
    as they are, to be filled later (``profile`` ones, per recipient): the values filled
    in meanwhile are never read as placeholders by that later fill (a ticket's subject
    "Error {code}" stays so)."""
    kept = set(keep)
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        path, default = match.group(1), match.group(2)
        if path.split(".", 1)[0] in kept:
            return match.group(0)
        value = _text(lookup(context, path))
        if value is None:
            if default is not None:
                return default
            missing.append(path)
            return ""
        return value.translate(_HELD)

    filled = PLACEHOLDER.sub(replace, text)
    return (filled if kept else filled.translate(_FREED)), missing


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return any(_same(actual, option) for option in expected)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return _text(actual) == _text(expected)
    return actual is not None and str(actual) == str(expected)


def rule_matches(rule: WorkflowRule, type: str, number: str, context: Mapping[str, Any]) -> bool:
    """Whether ``rule`` answers this event: its type (``ticket.*`` matches every ticket
    event), its number if it names one, and every ``when`` value."""
    if rule.on != "*" and rule.on != type:
        if not (rule.on.endswith(".*") and type.startswith(rule.on[:-1])):
            return False
    if rule.number and rule.number != number:
        return False
    return all(_same(lookup(context, path), value) for path, value in rule.when.items())


def matching_rules(
    rules: Sequence[WorkflowRule], type: str, number: str, context: Mapping[str, Any]
) -> list[tuple[int, WorkflowRule]]:
    """The rules an event matches, each with its index in the configuration."""
    return [
        (index, rule)
        for index, rule in enumerate(rules)
        if rule_matches(rule, type, number, context)
    ]
