"""The automation of a service, as configured (AU-1, AU-2): a welcome, keyword and regex
rules, business hours with an away message, how often a contact is answered, and the
guided conversations (flows) that keywords start."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import regex
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    model_validator,
)

from bot.config.base import ConfigError, Path, Section, TimeZone, matching, problems
from bot.config.flows import (
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    Flow,
    FlowFile,
    Keyword,
    Name,
    flow_from,
)
from bot.config.regex_size import MAX_PATTERN_SIZE, too_large

DEFAULT_WELCOME = "Hi! Thanks for getting in touch. How can we help?"


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """An auto-reply rule: words or a regex, the answer, and a priority (higher wins)."""

    reply: str
    keywords: tuple[str, ...] = ()
    """As written; matched as whole words in any case (``handlers.patterns``)."""
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


def _regex(pattern: str) -> str:
    """A pattern the rules can match with (``handlers.patterns``, the regex module)."""
    if too_large(pattern, regex.IGNORECASE):  # compiling it would take the memory of the process
        raise ValueError(
            f"too large: it has more than {MAX_PATTERN_SIZE:,} parts with its repeats "
            "written out ((?:ab){3} has 9)"
        )
    try:
        regex.compile(pattern, regex.IGNORECASE)
    except (regex.error, OverflowError, ValueError) as error:
        raise ValueError(f"not a regex: {error}") from None
    except RecursionError:
        raise ValueError("not a regex: nested too deep") from None
    return pattern


def _span(text: str) -> tuple[int, int]:
    match = _SPAN.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not like 09:00-17:30")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if end > 24 * 60:
        raise ValueError(f"{text!r} ends past 24:00")
    if not start < end:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


def _spans(value: str | None) -> str | None:
    for text in [] if value in ("closed", None) else str(value).split(","):
        _span(text)
    return value


def _welcome_text(value: Any) -> Any:
    # ``welcome: null`` once sent "None" to every new customer.
    if not isinstance(value, str):
        raise ValueError(f'must be text (got {value!r}); welcome: "" sends no welcome')
    return value


def _iso_date(value: Any) -> Any:
    # YAML reads an unquoted 2026-12-25 as a date.
    return value.isoformat() if isinstance(value, date) else value


def _calendar_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is no day of the calendar") from None
    return value


_SPAN = re.compile(r"([01]?[0-9]|2[0-4]):([0-5][0-9])-([01]?[0-9]|2[0-4]):([0-5][0-9])")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Holiday = Annotated[
    str,
    BeforeValidator(_iso_date),
    matching(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "a date like 2026-12-25"),
    AfterValidator(_calendar_date),
]


class AwayFile(Section):
    """``away: {message, timezone, hours: {mon: "09:00-17:30", sat: closed}, holidays}``."""

    message: Annotated[Reply, matching(r"(?s).*\S.*", "text")]
    timezone: TimeZone = "UTC"
    hours: dict[Weekday, Annotated[str | None, AfterValidator(_spans)]] = {}
    """Open spans per weekday, like ``09:00-12:30, 13:30-17:30``; a day left out is closed."""
    holidays: list[Holiday] = []
    """Dates (YYYY-MM-DD, in ``timezone``) when the business is closed all day."""


MAX_REPLY = 4096
"""Characters of an automated answer at most: what WhatsApp, Telegram and the web chat take
in one message (a longer one would be refused at every send)."""


def _within_reply(text: str) -> str:
    if len(text) > MAX_REPLY:
        raise ValueError(f"must be at most {MAX_REPLY} characters (this one has {len(text)})")
    return text


Reply = Annotated[str, AfterValidator(_within_reply)]


class RuleFile(Section):
    """An auto-reply rule: keywords or a regex, and a reply, a flow to start, or both."""

    reply: Reply = ""
    keywords: list[Keyword] | Keyword = []
    pattern: Annotated[str, AfterValidator(_regex)] = ""
    priority: int = 0
    """The highest priority that matches answers."""
    flow: str | None = None
    """A flow (in ``flows``) that the rule starts."""

    @model_validator(mode="after")
    def _complete(self) -> RuleFile:
        if "reply" not in self.model_fields_set and self.flow is None:
            raise ValueError("a rule needs a reply or a flow")
        if not self.keywords and not self.pattern:
            raise ValueError("a rule needs keywords or a pattern")
        return self


class AutomationFile(Section):
    """An ``automation`` section of the config file (AU-1, AU-2)."""

    welcome: Annotated[Reply, BeforeValidator(_welcome_text)] = DEFAULT_WELCOME
    """The first message to a new contact; "" sends none."""
    rules: list[RuleFile] = []
    away: AwayFile | None = None
    reply_interval: float = Field(default=0.0, ge=0, le=24 * 3600)
    """Seconds: at most one automated answer per contact this often; 0 is unlimited."""
    flow_timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=MAX_TIMEOUT)
    """Seconds of silence after which a flow is forgotten."""
    flows: dict[Name, FlowFile] = {}
    """Guided conversations (AU-2) by name."""
    fallback: Reply | None = None
    """The answer to inbound text that nothing matched; unset: no answer."""

    @model_validator(mode="after")
    def _flows_known(self) -> AutomationFile:
        for n, rule in enumerate(self.rules):
            if rule.flow is not None and rule.flow not in self.flows:
                raise ValueError(f"rules[{n}]: flow {rule.flow!r} is not in flows")
        return self


def automation_settings(section: Any, root: Path = ("automation",)) -> AutomationSettings:
    """An ``automation`` section of the config file as settings; ConfigError if it is bad."""
    try:
        return automation_from(AutomationFile.model_validate(section))
    except ValidationError as error:
        raise ConfigError(*problems(error, AutomationFile, root=root)) from None


def automation_from(written: AutomationFile) -> AutomationSettings:
    """The settings of a validated ``automation`` section."""
    zone = written.away.timezone if written.away else "UTC"  # the business's "today"
    flows = tuple(
        flow_from(name, flow, written.flow_timeout, zone) for name, flow in written.flows.items()
    )
    by_name = {flow.name: flow for flow in flows}
    # A flow's start keywords are a rule of its own, ahead of the written rules of the
    # same priority: asking for the flow by name is the more specific wish.
    rules = [
        KeywordRule(reply="", keywords=flow.start, priority=flow.priority, flow=flow)
        for flow in flows
        if flow.start
    ]
    for rule in written.rules:
        keywords = [rule.keywords] if isinstance(rule.keywords, str) else rule.keywords
        rules.append(
            KeywordRule(
                reply=rule.reply,
                keywords=tuple(keywords),
                pattern=rule.pattern,
                priority=rule.priority,
                flow=by_name[rule.flow] if rule.flow is not None else None,
            )
        )
    return AutomationSettings(
        welcome=written.welcome,
        rules=tuple(rules),
        away=_away(written.away) if written.away else None,
        reply_interval=written.reply_interval,
        flows=flows,
        fallback=(written.fallback or "").strip(),
    )


def _away(written: AwayFile) -> AwaySettings:
    hours: dict[str, str | None] = {str(day): spans for day, spans in written.hours.items()}
    week = tuple(
        tuple(_span(text) for text in (hours.get(day) or "closed").split(",") if text != "closed")
        for day in WEEKDAYS
    )
    return AwaySettings(
        message=written.message,
        timezone=written.timezone,
        hours=week,
        holidays=frozenset(written.holidays),
    )
