"""The automation of a service, as configured (AU-1, AU-2): a welcome, keyword and regex
rules, business hours with an away message, how often a contact is answered, and the
guided conversations (flows) that keywords start."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.base import ConfigError
from bot.config.flows import DEFAULT_TIMEOUT, Flow, parse_flows

DEFAULT_WELCOME = "Hi! Thanks for getting in touch. How can we help?"


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """An auto-reply rule: words or a regex, the answer, and a priority (higher wins)."""

    reply: str
    keywords: tuple[str, ...] = ()
    pattern: str = ""
    priority: int = 0
    flow: Flow | None = None
    """The guided conversation it starts (AU-2); ``reply``, if any, is said first."""


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class AwaySettings:
    """Business hours: outside them, the away message answers instead (AU-1)."""

    message: str
    timezone: str = "UTC"
    hours: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    """Per weekday (Monday first), the open spans in minutes after midnight."""
    holidays: frozenset[str] = frozenset()
    """Dates (YYYY-MM-DD, in ``timezone``) when the business is closed all day."""

    def is_open(self, at: float) -> bool:
        local = datetime.fromtimestamp(at, ZoneInfo(self.timezone))
        if local.strftime("%Y-%m-%d") in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.hours[local.weekday()])


@dataclass(frozen=True, slots=True)
class AutomationSettings:
    welcome: str = DEFAULT_WELCOME
    rules: tuple[KeywordRule, ...] = ()
    away: AwaySettings | None = None
    reply_interval: float = 0.0
    """Seconds: at most one auto-reply per contact this often; 0 leaves it unlimited."""
    flows: tuple[Flow, ...] = ()
    """Guided conversations; each is started by a rule in ``rules`` (its own start
    keywords become one), so whoever holds the rules holds the flows."""
    fallback: str = ""
    """The answer to a message nothing else answered; "" sends none (see
    ``bot.core.fallback`` for when it may go)."""


def automation_settings(section: dict[str, Any]) -> AutomationSettings:
    """An ``automation`` section of the config file as settings; ConfigError if it is bad."""
    try:
        timeout = float(section.get("flow_timeout", DEFAULT_TIMEOUT))
    except (TypeError, ValueError):
        raise ConfigError("automation.flow_timeout must be a number of seconds") from None
    if timeout <= 0:
        raise ConfigError("automation.flow_timeout must be more than 0 seconds")
    flows = parse_flows(section.get("flows"), timeout)
    by_name = {flow.name: flow for flow in flows}
    # A flow's start keywords are a rule of its own, ahead of the written rules of the
    # same priority: asking for the flow by name is the more specific wish.
    rules = [
        KeywordRule(reply="", keywords=flow.start, priority=flow.priority, flow=flow)
        for flow in flows
        if flow.start
    ]
    for item in section.get("rules") or []:
        if not isinstance(item, dict) or ("reply" not in item and "flow" not in item):
            raise ConfigError(f"each automation rule needs a reply or a flow: got {item!r}")
        label = item.get("reply") or f"flow {item.get('flow')}"
        flow = by_name.get(str(item["flow"])) if "flow" in item else None
        if "flow" in item and flow is None:
            raise ConfigError(f"rule {label!r}: flow {item['flow']!r} is not in flows")
        keywords = item.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [keywords]
        pattern = str(item.get("pattern", ""))
        if not keywords and not pattern:
            raise ConfigError(f"rule {label!r} needs keywords or a pattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ConfigError(f"rule pattern {pattern!r} is not a regex: {error}") from None
        rules.append(
            KeywordRule(
                reply=str(item.get("reply", "")),
                keywords=tuple(str(word).lower() for word in keywords),
                pattern=pattern,
                priority=int(item.get("priority", 0)),
                flow=flow,
            )
        )
    welcome = section.get("welcome", DEFAULT_WELCOME)
    if not isinstance(welcome, str):
        raise ConfigError('automation.welcome must be text; welcome: "" sends no welcome')
    try:
        interval = float(section.get("reply_interval", 0))
    except (TypeError, ValueError):
        raise ConfigError("automation.reply_interval must be a number of seconds") from None
    if interval < 0:
        raise ConfigError("automation.reply_interval cannot be negative")
    fallback = section.get("fallback") or ""
    if not isinstance(fallback, str):
        raise ConfigError(
            'automation.fallback must be text, e.g. fallback: "We\'ll get back to you."'
        )
    return AutomationSettings(
        welcome=welcome,
        rules=tuple(rules),
        away=_away(section["away"]) if section.get("away") else None,
        reply_interval=interval,
        flows=flows,
        fallback=fallback.strip(),
    )


_SPAN = re.compile(r"([01]?[0-9]|2[0-4]):([0-5][0-9])-([01]?[0-9]|2[0-4]):([0-5][0-9])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _away(section: Any) -> AwaySettings:
    """``away: {message, timezone, hours: {mon: "09:00-17:30", sat: closed}, holidays}``."""
    if not isinstance(section, dict) or not str(section.get("message", "")).strip():
        raise ConfigError("automation.away needs a message")
    timezone = str(section.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"automation.away.timezone: unknown time zone {timezone!r}") from None
    hours = section.get("hours") or {}
    if not isinstance(hours, dict) or not set(hours) <= set(WEEKDAYS):
        raise ConfigError("automation.away.hours maps mon..sun to spans like 09:00-17:30")
    week = []
    for day in WEEKDAYS:
        spans = []
        value = hours.get(day, "closed")
        for text in [] if value in ("closed", None) else str(value).split(","):
            match = _SPAN.fullmatch(text.strip())
            if not match:
                raise ConfigError(f"automation.away.hours.{day}: {text!r} is not like 09:00-17:30")
            start = int(match[1]) * 60 + int(match[2])
            end = int(match[3]) * 60 + int(match[4])
            if not start < end <= 24 * 60:
                raise ConfigError(f"automation.away.hours.{day}: {text!r} ends before it starts")
            spans.append((start, end))
        week.append(tuple(spans))
    holidays = [str(day) for day in section.get("holidays") or []]
    if not all(_DATE.fullmatch(day) for day in holidays):
        raise ConfigError("automation.away.holidays are dates like 2026-12-25")
    return AwaySettings(
        message=str(section["message"]),
        timezone=timezone,
        hours=tuple(week),
        holidays=frozenset(holidays),
    )
