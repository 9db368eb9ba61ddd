"""The outbound part of the configuration: notification settings (the deployment's time
zone, quiet hours), workflow rules (AU-3) and the rate card of the cost ledger (AU-5)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config.base import (
    ConfigError,
    Path,
    Section,
    TimeZone,
    matching,
    on_the_clock,
    problems,
)
from bot.config.templates import CATEGORIES, TemplateSpec, template_field, template_spec

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
_SPAN = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])-([01]?[0-9]|2[0-4]):([0-5][0-9])")


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
        ends = datetime.combine(day, end, local.tzinfo)
        if ends.timestamp() <= local.timestamp():
            # ``local`` is in the second pass of an hour a daylight-saving change repeats,
            # and the end in its first: the span ends as the clock shows it again.
            ends = ends.replace(fold=1)
        while not on_the_clock(ends):
            # The end is in the hour a daylight-saving change skips (02:30 in New York the
            # night the clocks go from 02:00 to 03:00): the span ends as the clock jumps.
            ends = (ends.replace(tzinfo=None) + timedelta(minutes=1)).replace(tzinfo=local.tzinfo)
        return ends

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


def quiet_hours(value: Any) -> QuietHours | None:
    """``"21:00-08:00"``; null, ``off`` or ``""`` turn quiet hours off; ValueError if bad."""
    if value in (None, "", "off", False):
        return None
    match = _SPAN.fullmatch(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not like 21:00-08:00")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if start == end or end > 24 * 60:
        raise ValueError(f"{value!r} is an empty span")
    return QuietHours(start, end)


def _quiet_span(value: str | bool | None) -> str | bool | None:
    quiet_hours(value)
    return value


class NotificationsFile(Section):
    """``notifications: {timezone, quiet_hours: "21:00-08:00" | off, batch}`` (AU-4)."""

    timezone: TimeZone = "UTC"
    """The deployment's zone: for cron schedules, and contacts without ``timezone``."""
    quiet_hours: Annotated[str | Literal[False] | None, AfterValidator(_quiet_span)] = "21:00-08:00"
    """When notifications wait, in each contact's zone; off (or null) for never."""
    batch: int = Field(default=500, ge=1, le=5000)
    """Recipients evaluated and queued per round."""


def notification_settings(section: Any, root: Path = ("notifications",)) -> NotificationSettings:
    """The ``notifications`` section as settings; ConfigError if it is bad."""
    try:
        return notifications_from(NotificationsFile.model_validate(section))
    except ValidationError as error:
        raise ConfigError(*problems(error, NotificationsFile, root=root)) from None


def notifications_from(written: NotificationsFile) -> NotificationSettings:
    return NotificationSettings(written.timezone, quiet_hours(written.quiet_hours), written.batch)


class SendFile(Section):
    """What a workflow rule sends: a template, or a text (inside the 24-hour window)."""

    text: str = Field(default="", max_length=4096)
    template: Annotated[dict[str, Any], AfterValidator(template_field)] | None = None
    """``{name, language, category, variables}`` of a WhatsApp template."""

    @model_validator(mode="after")
    def _something(self) -> SendFile:
        if not self.text and self.template is None:
            raise ValueError("send needs a template or a text")
        return self


class WorkflowFile(Section):
    """``on: ticket.created, when: {priority: high}, send: {template: …} | {text: …}``."""

    on: str = Field(min_length=1)
    when: dict[str, Any] = {}
    send: SendFile
    number: str = ""
    topic: str = ""
    respect_quiet_hours: bool = False

    @field_validator("when")
    @classmethod
    def _values_or_lists(cls, when: dict[str, Any]) -> dict[str, Any]:
        """A condition is a value, or a list of values any of which matches: a mapping
        (or a list within a list) matches no event field as written."""
        for path, value in when.items():
            items = value if isinstance(value, list) else [value]
            if any(isinstance(item, dict | list) for item in items):
                raise ValueError(
                    f"{path}: a value or a list of values, not a mapping or a list in a list"
                )
        return when

    @model_validator(mode="before")
    @classmethod
    def _on_key(cls, item: Any) -> Any:
        # YAML 1.1 reads a bare ``on`` key as true; the rule means the word.
        if isinstance(item, dict) and True in item and "on" not in item:
            return {"on": item[True], **{k: v for k, v in item.items() if k is not True}}
        return item


Workflows = TypeAdapter(list[WorkflowFile])


def workflow_rules(items: Any, root: Path = ("workflows",)) -> tuple[WorkflowRule, ...]:
    """The ``workflows:`` list; ConfigError names the rule that is wrong."""
    try:
        return workflows_from(Workflows.validate_python(items))
    except ValidationError as error:
        raise ConfigError(*problems(error, WorkflowFile, root=root)) from None


def workflows_from(written: list[WorkflowFile]) -> tuple[WorkflowRule, ...]:
    return tuple(
        WorkflowRule(
            on=rule.on,
            when=dict(rule.when),
            text=rule.send.text,
            template=template_spec(rule.send.template) if rule.send.template else None,
            number=rule.number,
            topic=rule.topic,
            respect_quiet_hours=rule.respect_quiet_hours,
        )
        for rule in written
    )


Category = Literal[
    "marketing", "utility", "authentication", "service", "authentication_international"
]
Tiered = Literal["utility", "authentication"]
Price = Annotated[float, Field(ge=0, lt=1000)]
"""A price per delivered message, in the card's currency."""


def _home(code: str) -> str:
    if code and not re.fullmatch(r"[1-9][0-9]{0,2}", code):
        raise ValueError(f"{code!r}: the calling code of the business's country, such as 44")
    return code


def _text_codes(section: Any) -> Any:
    # YAML reads an unquoted 44 as a number.
    return {str(k): v for k, v in section.items()} if isinstance(section, dict) else section


def _known_code(country: str) -> str:
    if country != "default" and not re.fullmatch(r"[1-9][0-9]{0,2}", country):
        raise ValueError(f"{country!r}: a country calling code (44) or default")
    return country


Country = Annotated[str, AfterValidator(_known_code)]


class RateCardFile(Section):
    """``rate_card: {currency: GBP, home: "44", "44": {marketing: 0.0529}, default: {...},
    tiers: {"91": {utility: {1001: 0.0012, 10001: 0.0010}}}}`` (AU-5)."""

    model_config = ConfigDict(
        extra="allow", strict=True, frozen=True, use_attribute_docstrings=True
    )
    currency: Annotated[str, matching(r"[A-Z]{3}", "a currency code such as GBP")] = "USD"
    home: Annotated[str, BeforeValidator(str), AfterValidator(_home)] = ""
    """The calling code of the business's own country, for authentication-international
    rates; '' when the business is not eligible for them."""
    tiers: Annotated[
        dict[Country, dict[Tiered, dict[Annotated[int, Field(ge=1)], Price]]],
        BeforeValidator(_text_codes),
    ] = {}
    """Volume tiers: from the Nth charged message of a month on, this price each."""
    __pydantic_extra__: dict[str, dict[Category, Price]] = Field(init=False)
    """A country calling code (or ``default``) -> category -> price."""

    @model_validator(mode="before")
    @classmethod
    def _codes_as_text(cls, section: Any) -> Any:
        return _text_codes(section)

    @model_validator(mode="after")
    def _known_codes(self) -> RateCardFile:
        for country in self.model_extra or {}:
            _known_code(country)
        return self


def rate_card(section: Any, root: Path = ("rate_card",)) -> RateCard:
    """The ``rate_card`` section; ConfigError if it is bad."""
    try:
        return rate_card_from(RateCardFile.model_validate(section))
    except ValidationError as error:
        raise ConfigError(*problems(error, RateCardFile, root=root)) from None


def rate_card_from(written: RateCardFile) -> RateCard:
    rates = {
        country: {category: round(price * MICROS) for category, price in prices.items()}
        for country, prices in (written.model_extra or {}).items()
    }
    tiers: dict[str, dict[str, tuple[tuple[int, int], ...]]] = {
        country: {
            category: tuple(
                sorted((start, round(price * MICROS)) for start, price in steps.items())
            )
            for category, steps in categories.items()
        }
        for country, categories in written.tiers.items()
    }
    return RateCard(currency=written.currency, rates=rates, tiers=tiers, home=written.home)
