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
PRICED = (*CATEGORIES, "service", "authentication_international")
TIERED = ("utility", "authentication")
"""The categories Meta prices in volume tiers."""
AUTHENTICATION_INTERNATIONAL = "authentication-international"
"""Meta's name of the category (``pricing.category``); ``authentication_international`` in
the rate card."""
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
    """Prices per message by recipient's country calling code and category (AU-5).

    Meta's rules, from https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
    and .../pricing/authentication-international-rates:
    - "You can unlock lower rates for utility and authentication template messages,
      based on messaging volume": a market's charged messages of the category in the
      calendar month pass thresholds (``tiers``);
    - "If you send an authentication template message to a WhatsApp user whose country
      calling code is for a country that has an authentication-international rate, the
      delivered message will be billed the country's authentication-international rate
      if [...] your business is based in another country" (``home``).
    """

    currency: str = "USD"
    rates: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """``"44"`` (or ``"default"``) -> category -> price in millionths of ``currency``."""
    tiers: Mapping[str, Mapping[str, tuple[tuple[int, int], ...]]] = field(default_factory=dict)
    """``"91"`` (or ``"default"``) -> utility or authentication -> (from the Nth charged
    message of the month, price in millionths), by ascending N."""
    home: str = ""
    """The calling code of the business's primary location; '' when it is not eligible for
    authentication-international rates."""

    def _rate(self, country: str, category: str) -> int | None:
        for key in (country, "default"):
            if key in self.rates and category in self.rates[key]:
                return self.rates[key][category]
        return None

    def category_of(self, country: str, category: str) -> str:
        """The category Meta bills a template of ``category`` to ``country`` as."""
        if (
            category == "authentication"
            and self.home
            and country
            and country != self.home
            and self._rate(country, "authentication_international") is not None
        ):
            return AUTHENTICATION_INTERNATIONAL
        return category

    def price(self, country: str, category: str) -> int:
        """The list price of one delivered message, before volume tiers, in millionths;
        0 when none is set."""
        if self.category_of(country, category) == AUTHENTICATION_INTERNATIONAL:
            category = "authentication_international"
        return self._rate(country, category.replace("-", "_")) or 0

    def rates_of(self, country: str) -> dict[str, int]:
        """The country's prices as the ledger keeps them beside a send: Meta's category
        names, and ``<category>@<N>`` for the tier from the Nth charged message."""
        found: dict[str, int] = {}
        for category in PRICED:
            rate = self._rate(country, category)
            if rate is not None:
                found[category.replace("_", "-")] = rate
        tiers = self.tiers.get(country, self.tiers.get("default", {}))
        for category, steps in tiers.items():
            for start, rate in steps:
                found[f"{category}@{start}"] = rate
        return found


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
    """``rate_card: {currency: GBP, home: "44", "44": {marketing: 0.0529}, default: {...},
    tiers: {"91": {utility: {1001: 0.0012, 10001: 0.0010}}}}``."""
    if not isinstance(section, dict):
        raise ConfigError("rate_card must be a mapping")
    currency = str(section.get("currency", "USD"))
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"rate_card.currency: a code such as GBP, got {currency!r}")
    home = str(section.get("home", ""))
    if home and not _calling_code(home):
        raise ConfigError(
            f"rate_card.home: the calling code of the business's country, not {home!r}"
        )
    rates: dict[str, dict[str, int]] = {}
    for country, prices in section.items():
        if country in ("currency", "home", "tiers"):
            continue
        country = _country(country, "rate_card")
        if not isinstance(prices, dict) or not set(prices) <= set(PRICED):
            raise ConfigError(f"rate_card.{country} maps {', '.join(PRICED)} to prices")
        rates[country] = {c: _price(p, f"rate_card.{country}") for c, p in prices.items()}
    tiers = _tiers(section.get("tiers", {}))
    return RateCard(currency=currency, rates=rates, tiers=tiers, home=home)


def _calling_code(value: str) -> bool:
    return bool(re.fullmatch(r"[1-9][0-9]{0,2}", value))


def _country(value: Any, where: str) -> str:
    country = str(value)
    if country != "default" and not _calling_code(country):
        raise ConfigError(f"{where}.{country}: a country calling code (44) or default")
    return country


def _price(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{where}: prices are numbers")
    try:
        price = round(float(value) * MICROS)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{where}: prices are numbers") from None
    if not 0 <= price < 1_000 * MICROS:
        raise ConfigError(f"{where}: prices are from 0 to 1000")
    return price


def _tiers(section: Any) -> dict[str, dict[str, tuple[tuple[int, int], ...]]]:
    """``{"91": {utility: {1001: 0.0012}}}``: from the 1001st charged utility message of
    a month to +91 on, 0.0012 each."""
    if not isinstance(section, dict):
        raise ConfigError("rate_card.tiers maps country calling codes to tiered categories")
    tiers: dict[str, dict[str, tuple[tuple[int, int], ...]]] = {}
    for country, categories in section.items():
        country = _country(country, "rate_card.tiers")
        where = f"rate_card.tiers.{country}"
        if not isinstance(categories, dict) or not set(categories) <= set(TIERED):
            raise ConfigError(f"{where} maps {' or '.join(TIERED)} to their tiers")
        tiers[country] = {}
        for category, steps in categories.items():
            if not isinstance(steps, dict) or not steps:
                raise ConfigError(f"{where}.{category} maps message counts to prices")
            parsed = []
            for start, price in steps.items():
                if isinstance(start, bool) or not re.fullmatch(r"[1-9][0-9]{0,9}", str(start)):
                    raise ConfigError(f"{where}.{category}: {start!r} is not a message count")
                parsed.append((int(start), _price(price, f"{where}.{category}")))
            tiers[country][category] = tuple(sorted(parsed))
    return tiers
