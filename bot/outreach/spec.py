"""What a notification is (AU-4): its number, message, audience and schedule, read from the
API's JSON (the CLI, slash commands and workflow rules build the same JSON), and stored."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from adapters import sms
from bot.config.templates import CATEGORIES, TemplateSpec, template_spec
from bot.identities import InvalidIdentityError, InvalidPhoneError, parse_identity
from bot.model import TEXT_CONTROLS
from bot.outreach.cron import Cron, CronError
from handlers.command_kit import NO_CONTROLS, has_control_characters
from handlers.workflows import as_shown

MAX_RECIPIENTS = 10_000
"""Entries of a listed audience; larger segments are a topic or a filter."""
MAX_TEXT = 4096
CHANNELS = {"wa": "whatsapp", "tg": "telegram", "sms": "sms", "web": "web"}
TOPIC = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
CONVERSATION = re.compile(r"c_[0-9a-f]{1,64}")
NOTIFICATION = re.compile(r"ntf_[0-9A-Za-z_-]{1,64}")
RESPONSES = ("sent", "delivered", "read", "failed", "clicked")
"""What an audience may choose an earlier campaign's recipients by."""
FAR_FUTURE = 5 * 366 * 24 * 3600
PAST_GRACE = 60.0
"""Seconds an ``at`` may lie behind this clock (a caller's clock or a slow request) and
still mean now; further back, it is refused, as the command line refuses it."""
"""``at`` may be at most about five years ahead."""


def channel_of(number: str) -> str:
    """``whatsapp`` for ``wa:…``, and so on; '' for what is not a number."""
    return CHANNELS.get(number.partition(":")[0], "")


@dataclass(frozen=True, slots=True)
class NotificationSpec:
    """A notification as stored: everything a run needs to pick and message recipients."""

    number: str
    service: str
    audience: str
    """``conversations``, ``profiles`` (both listed), ``topic``, ``filter`` or
    ``response`` (to an earlier campaign)."""
    text: str = ""
    template: TemplateSpec | None = None
    category: str = "utility"
    """The template's category; for a text, as given (``marketing`` needs consent)."""
    topic: str = ""
    """Recipients who unsubscribed from it are skipped (``topic_conflict``)."""
    filter_field: str = ""
    filter_value: str = ""
    at: float | None = None
    cron: str = ""
    respect_quiet_hours: bool = True
    response_campaign: str = ""
    """The earlier campaign whose recipients a ``response`` audience chooses from."""
    response: str = ""
    """The outcomes they reached (``read``) or did not (``!clicked``), comma separated."""

    @property
    def channel(self) -> str:
        return channel_of(self.number)

    @property
    def listed(self) -> bool:
        return self.audience in ("conversations", "profiles")

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "number": self.number,
            "service": self.service,
            "audience": self.audience,
            "text": self.text,
            "template": self.template.to_dict() if self.template else None,
            "category": self.category,
            "topic": self.topic,
            "filter_field": self.filter_field,
            "filter_value": self.filter_value,
            "at": self.at,
            "cron": self.cron,
            "respect_quiet_hours": self.respect_quiet_hours,
        }
        if self.response_campaign:
            data |= {"response_campaign": self.response_campaign, "response": self.response}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> NotificationSpec:
        data = json.loads(raw)
        template = data.pop("template")
        return cls(**data, template=TemplateSpec.stored(template) if template else None)

    def public(self) -> dict[str, Any]:
        """The notification's definition as the API shows it."""
        audience: dict[str, Any] = {"kind": self.audience}
        if self.audience == "topic":
            audience["topic"] = self.topic
        elif self.audience == "filter":
            audience["filter"] = {"field": self.filter_field, "equals": self.filter_value}
        elif self.audience == "response":
            chosen: dict[str, Any] = {"campaign": self.response_campaign}
            for word in self.response.split(","):
                if word:
                    chosen[word.lstrip("!")] = not word.startswith("!")
            audience |= {"kind": "filter", "filter": chosen}
        shown: dict[str, Any] = {
            "number": self.number,
            "service": self.service,
            "audience": audience,
            "category": self.category,
            "topic": self.topic or None,
            "at": self.at,
            "cron": self.cron or None,
            "respect_quiet_hours": self.respect_quiet_hours,
        }
        if self.text:
            shown["text"] = as_shown(self.text)
        if self.template:
            template = self.template.to_dict()
            template["variables"] = [as_shown(v) for v in template["variables"]]
            shown["template"] = template
        return shown


def _string(body: dict[str, Any], name: str, pattern: re.Pattern[str], what: str) -> str:
    value = body.get(name)
    if value is None:  # left out; "" is no name, refused (it would become the audience's)
        return ""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"'{name}' must be {what}")
    return value


def parse_notification(
    body: dict[str, Any], *, service: str, region: str, zone: str, now: float | None = None
) -> tuple[NotificationSpec, list[str]]:
    """The notification a JSON body asks for, and its listed audience as entries
    (``c:<conversation>``, ``p:<profile or identity>``); ValueError says what is wrong.

    The number is taken as given: the caller checks that it may use it."""
    now = time.time() if now is None else now
    number = body.get("number")
    if not isinstance(number, str) or not channel_of(number):
        raise ValueError("'number' must be a number such as wa:106540352242922 or web:site")
    text = body.get("text", "")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise ValueError(f"'text' must be a string of at most {MAX_TEXT} characters")
    if has_control_characters(text, allowed=TEXT_CONTROLS):  # as every other text of the API
        raise ValueError(f"'text' {NO_CONTROLS}")
    text = text.strip()
    if channel_of(number) == "sms" and (problem := sms.body_problem(text)):
        raise ValueError(f"'text': {problem}")
    template = None
    if body.get("template") is not None:
        template = template_spec(body["template"], json=True)
    if not text and template is None:
        raise ValueError("give a 'text' or a 'template'")
    if template is not None and channel_of(number) != "whatsapp" and not text:
        raise ValueError("templates are WhatsApp's; give a 'text' for this number")
    category = body.get("category")
    if category is None:
        category = template.category if template else "utility"
    if not isinstance(category, str) or category not in CATEGORIES:
        raise ValueError(f"'category' is one of {', '.join(CATEGORIES)}")
    if template is not None and category != template.category:
        raise ValueError("'category' must be the template's category")
    topic = _string(body, "topic", TOPIC, "a topic name: lowercase letters, digits, _ . -")
    quiet = body.get("respect_quiet_hours", True)
    if not isinstance(quiet, bool):
        raise ValueError("'respect_quiet_hours' must be true or false")
    spec = NotificationSpec(
        number=number,
        service=service,
        audience="",
        text=text,
        template=template,
        category=category,
        topic=topic,
        respect_quiet_hours=quiet,
    )
    spec, entries = _audience(spec, body.get("audience"), region)
    return _schedule(spec, body, zone, now), entries


def _audience(
    spec: NotificationSpec, audience: Any, region: str
) -> tuple[NotificationSpec, list[str]]:
    if not isinstance(audience, dict) or len(audience) != 1:
        raise ValueError(
            '\'audience\' is one of {"conversations": [...]}, {"profiles": [...]}, '
            '{"topic": "offers"}, {"filter": {"field": "city", "equals": "Leeds"}} or '
            '{"filter": {"campaign": "ntf_…", "read": true, "clicked": false}}'
        )
    (kind, value), entries = next(iter(audience.items())), []
    if kind in ("conversations", "profiles"):
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_RECIPIENTS:
            raise ValueError(f"audience.{kind}: a list of 1 to {MAX_RECIPIENTS:,} entries")
        for item in value:
            if not isinstance(item, str) or not item.strip() or len(item) > 300:
                raise ValueError(f"audience.{kind}: each entry is a string of 1 to 300 characters")
            item = item.strip()
            if kind == "conversations":
                if not CONVERSATION.fullmatch(item):
                    raise ValueError(f"audience.conversations: {item[:60]!r} is not a conversation")
                entries.append(f"c:{item}")
                continue
            if not item.startswith("p_"):
                try:
                    parse_identity(item, region)
                except InvalidPhoneError:
                    pass  # kept: the recipient is counted as skipped, invalid_number
                except InvalidIdentityError as error:
                    raise ValueError(f"audience.profiles: {error}") from None
            entries.append(f"p:{item}")
        return replace(spec, audience=kind), entries
    if kind == "topic":
        if not isinstance(value, str) or not TOPIC.fullmatch(value):
            raise ValueError("audience.topic: a topic name: lowercase letters, digits, _ . -")
        if spec.topic and spec.topic != value:
            raise ValueError("'topic' and audience.topic differ")
        return replace(spec, audience="topic", topic=value), entries
    if kind == "filter" and isinstance(value, dict) and "campaign" in value:
        return _response(spec, value), []
    if kind == "filter":
        field = value.get("field") if isinstance(value, dict) else None
        equals = value.get("equals") if isinstance(value, dict) else None
        if not isinstance(field, str) or not FIELD.fullmatch(field):
            raise ValueError("audience.filter.field: a profile field name such as city")
        if not isinstance(equals, (str, int, float)) or isinstance(equals, bool):
            raise ValueError("audience.filter.equals: the value the field must have")
        if isinstance(equals, str) and has_control_characters(equals, allowed=TEXT_CONTROLS):
            raise ValueError(f"audience.filter.equals {NO_CONTROLS}")
        return replace(spec, audience="filter", filter_field=field, filter_value=str(equals)), []
    raise ValueError(f"audience: unknown kind {kind!r}")


def _response(spec: NotificationSpec, value: dict[str, Any]) -> NotificationSpec:
    """``{"campaign": "ntf_…", "read": true, "clicked": false}``: the recipients of an
    earlier campaign who reached the outcomes set true and not those set false."""
    campaign = value["campaign"]
    if not isinstance(campaign, str) or not NOTIFICATION.fullmatch(campaign):
        raise ValueError("audience.filter.campaign: a notification id such as ntf_0193ab")
    words = []
    for name, wanted in value.items():
        if name == "campaign":
            continue
        if name in RESPONSES and not isinstance(wanted, bool):
            raise ValueError(f"audience.filter.{name}: true or false")
        if name not in RESPONSES:
            raise ValueError(
                f"audience.filter: {str(name)[:40]!r} is not a response; give any of "
                f"{', '.join(RESPONSES)} as true or false"
            )
        words.append(name if wanted else f"!{name}")
    return replace(spec, audience="response", response_campaign=campaign, response=",".join(words))


def _schedule(spec: NotificationSpec, body: dict[str, Any], zone: str, now: float) -> Any:
    at, cron = body.get("at"), body.get("cron")
    if at is not None and cron is not None:
        raise ValueError("give 'at' or 'cron', not both")
    if at is not None:
        if not isinstance(at, (int, float)) or isinstance(at, bool) or at < 0:
            raise ValueError("'at' is a unix time in seconds")
        if at > now + FAR_FUTURE:
            raise ValueError("'at' is more than five years ahead")
        if at < now - PAST_GRACE:
            raise ValueError(
                f"'at' is {int(now - at)} s in the past: give a time to come, or leave it "
                "out to send now"
            )
        return replace(spec, at=float(at))
    if cron is not None:
        if not isinstance(cron, str):
            raise ValueError("'cron' is a schedule such as \"0 9 * * MON\"")
        try:
            schedule = Cron.parse(cron)
            schedule.next_after(now, ZoneInfo(zone))
        except CronError as error:
            raise ValueError(f"'cron': {error}") from None
        return replace(spec, cron=schedule.expression)
    return spec


def first_run(spec: NotificationSpec, zone: str, now: float) -> float:
    """When the first run is due: ``at``, the next cron occurrence, or now."""
    if spec.cron:
        return Cron.parse(spec.cron).next_after(now, ZoneInfo(zone))
    if spec.at is not None:
        return max(spec.at, 0.0)
    return now
