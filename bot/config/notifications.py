"""The outbound part of the configuration: notification settings (the deployment's time
zone, quiet hours), workflow rules (AU-3) and the rate card of the cost ledger (AU-5)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.base import ConfigError

CATEGORIES = ("marketing", "utility", "authentication")
"""WhatsApp template categories, each billed at its own rate."""
PRICED = (*CATEGORIES, "service")
LAWFUL_BASES = frozenset({"consent", "contract", "legitimate_interest"})
"""Values of a profile's ``consent`` field that allow marketing."""
MICROS = 1_000_000
"""The ledger counts in millionths of the currency, so its sums are exact."""
_NAME = re.compile(r"[a-z0-9_]{1,512}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
_SPAN = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])-([01]?[0-9]|2[0-4]):([0-5][0-9])")
MAX_VARIABLES = 20
MAX_VARIABLE = 1024


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily span, in each contact's time zone, when notifications wait (AU-4)."""

    start: int
    """Minutes after midnight; the span may pass midnight (21:00-08:00)."""
    end: int

    def contains(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def ends_after(self, local: datetime) -> datetime:
        """When the quiet span that holds ``local`` ends (same zone)."""
        day = local.date()
        if self.start > self.end and local.hour * 60 + local.minute >= self.start:
            day += timedelta(days=1)
        end = time(self.end // 60 % 24, self.end % 60)
        if self.end == 24 * 60:
            day, end = day + timedelta(days=1), time(0, 0)
        return datetime.combine(day, end, local.tzinfo)

    def __str__(self) -> str:
        return (
            f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"
        )


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    """How notifications go out: where quiet hours are judged, and in what batches."""

    timezone: str = "UTC"
    """The deployment's zone: for cron schedules, and contacts without ``timezone``."""
    quiet_hours: QuietHours | None = QuietHours(21 * 60, 8 * 60)
    batch: int = 500
    """Recipients evaluated and queued per round."""


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """A WhatsApp template message: its name, language, category and body variables."""

    name: str
    language: str
    category: str
    variables: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "variables": list(self.variables),
        }

    def graph_body(self, values: list[str]) -> dict[str, Any]:
        """The Cloud API's ``template`` object with ``values`` as the body's parameters."""
        body: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if values:
            parameters = [{"type": "text", "text": value} for value in values]
            body["components"] = [{"type": "body", "parameters": parameters}]
        return body


def template_spec(value: Any, where: str = "template") -> TemplateSpec:
    """A template from its JSON or YAML form; ValueError says what is wrong."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object with name, language and category")
    name, language = value.get("name"), value.get("language", "en")
    category, variables = value.get("category"), value.get("variables", [])
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{where}.name: lowercase letters, digits and _ (as Meta names them)")
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        raise ValueError(f"{where}.language: a language code such as en or en_US")
    if category not in CATEGORIES:
        raise ValueError(f"{where}.category is one of {', '.join(CATEGORIES)}")
    if (
        not isinstance(variables, list)
        or len(variables) > MAX_VARIABLES
        or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in variables)
    ):
        raise ValueError(f"{where}.variables: a list of at most {MAX_VARIABLES} strings")
    texts = tuple(str(v) for v in variables)
    if any(not text.strip() or len(text) > MAX_VARIABLE for text in texts):
        raise ValueError(f"{where}.variables: each is 1 to {MAX_VARIABLE} characters")
    return TemplateSpec(name, language, category, texts)


@dataclass(frozen=True, slots=True)
class WorkflowRule:
    """``on: ticket.created, when: {priority: high}, send: {template: …} | {text: …}``."""

    on: str
    """An event type, ``ticket.*`` for every ticket event, or ``*``."""
    when: Mapping[str, Any] = field(default_factory=dict)
    """Values the event must have: dotted paths into it (``ticket.priority``), a value or
    a list of accepted values."""
    text: str = ""
    template: TemplateSpec | None = None
    number: str = ""
    """Only events of this number; '' for every number."""
    topic: str = ""
    respect_quiet_hours: bool = False


@dataclass(frozen=True, slots=True)
class RateCard:
    """Prices per message by recipient's country calling code and category (AU-5)."""

    currency: str = "USD"
    rates: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """``"44"`` (or ``"default"``) -> category -> price in millionths of ``currency``."""

    def price(self, country: str, category: str) -> int:
        """The price of one delivered message, in millionths; 0 when none is set."""
        for key in (country, "default"):
            if key in self.rates and category in self.rates[key]:
                return self.rates[key][category]
        return 0


def notification_settings(section: Any) -> NotificationSettings:
    """``notifications: {timezone, quiet_hours: "21:00-08:00" | null, batch}``."""
    if not isinstance(section, dict):
        raise ConfigError("notifications must be a mapping")
    defaults = NotificationSettings()
    zone = str(section.get("timezone", defaults.timezone))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"notifications.timezone: unknown time zone {zone!r}") from None
    quiet = defaults.quiet_hours
    if "quiet_hours" in section:
        quiet = quiet_hours(section["quiet_hours"])
    batch = section.get("batch", defaults.batch)
    if not isinstance(batch, int) or not 1 <= batch <= 5000:
        raise ConfigError("notifications.batch is a whole number from 1 to 5000")
    return NotificationSettings(timezone=zone, quiet_hours=quiet, batch=batch)


def quiet_hours(value: Any) -> QuietHours | None:
    """``"21:00-08:00"``; null, ``off`` or ``""`` turn quiet hours off."""
    if value in (None, "", "off", False):
        return None
    match = _SPAN.fullmatch(str(value).strip())
    if not match:
        raise ConfigError(f"notifications.quiet_hours: {value!r} is not like 21:00-08:00")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if start == end or end > 24 * 60:
        raise ConfigError(f"notifications.quiet_hours: {value!r} is an empty span")
    return QuietHours(start, end)


def workflow_rules(items: Any) -> tuple[WorkflowRule, ...]:
    """The ``workflows:`` list; ConfigError names the rule that is wrong."""
    if not isinstance(items, list):
        raise ConfigError("workflows must be a list of rules")
    rules = []
    for index, item in enumerate(items):
        where = f"workflows[{index}]"
        if isinstance(item, dict) and True in item and "on" not in item:
            # YAML 1.1 reads a bare ``on`` key as true; the rule means the word.
            item = {"on": item[True], **{k: v for k, v in item.items() if k is not True}}
        if not isinstance(item, dict) or not isinstance(item.get("on"), str) or not item["on"]:
            raise ConfigError(f"{where} needs on: <event type>, e.g. on: ticket.created")
        when = item.get("when") or {}
        send = item.get("send")
        if not isinstance(when, dict):
            raise ConfigError(f"{where}.when maps event fields to the values they must have")
        if not isinstance(send, dict) or not ({"text", "template"} & send.keys()):
            raise ConfigError(f"{where}.send needs a template or a text")
        text = send.get("text", "")
        if not isinstance(text, str) or len(text) > 4096:
            raise ConfigError(f"{where}.send.text must be text of at most 4096 characters")
        try:
            template = (
                template_spec(send["template"], f"{where}.send.template")
                if ("template" in send)
                else None
            )
        except ValueError as error:
            raise ConfigError(str(error)) from None
        rules.append(
            WorkflowRule(
                on=item["on"],
                when=dict(when),
                text=text,
                template=template,
                number=str(item.get("number", "")),
                topic=str(item.get("topic", "")),
                respect_quiet_hours=bool(item.get("respect_quiet_hours", False)),
            )
        )
    return tuple(rules)


def rate_card(section: Any) -> RateCard:
    """``rate_card: {currency: GBP, "44": {marketing: 0.0529}, default: {...}}``."""
    if not isinstance(section, dict):
        raise ConfigError("rate_card must be a mapping")
    currency = str(section.get("currency", "USD"))
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"rate_card.currency: a code such as GBP, got {currency!r}")
    rates: dict[str, dict[str, int]] = {}
    for country, prices in section.items():
        if country == "currency":
            continue
        country = str(country)
        if country != "default" and not re.fullmatch(r"[1-9][0-9]{0,2}", country):
            raise ConfigError(f"rate_card.{country}: a country calling code (44) or default")
        if not isinstance(prices, dict) or not set(prices) <= set(PRICED):
            raise ConfigError(f"rate_card.{country} maps {', '.join(PRICED)} to prices")
        try:
            rates[country] = {c: round(float(p) * MICROS) for c, p in prices.items()}
        except (TypeError, ValueError):
            raise ConfigError(f"rate_card.{country}: prices are numbers") from None
        if any(price < 0 for price in rates[country].values()):
            raise ConfigError(f"rate_card.{country}: prices cannot be negative")
    return RateCard(currency=currency, rates=rates)
