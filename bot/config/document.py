"""The YAML file's shape (``switchboard.yaml``): every key it may hold, its type and its
range. Its JSON Schema (``python bot.py config schema``) lets an editor complete it."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.config.automation import AutomationFile
from bot.config.base import (
    A_NUMBER,
    NUMBER,
    ORIGIN,
    Section,
    TimeZone,
    browser_origin,
    http_url,
    matching,
)
from bot.config.channels import KeywordsFile
from bot.config.live import LiveFile, TemplateFile
from bot.config.notifications import NotificationsFile, RateCardFile, WorkflowFile
from bot.config.sequences import SequenceFile, unique_names
from bot.config.yamlfile import holds_lone_surrogate
from bot.identities import InvalidIdentityError, parse_identity, person_email
from bot.model import AUTOMATION_SERVICE, MAX_BATCH

SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
RESERVED_NAMES = frozenset({AUTOMATION_SERVICE, "admin", "team"})
"""The runtime's own service, the operator's identity on the API, and the team chat."""
DAY = 24 * 3600.0
ROLES = ("viewer", "agent", "admin")
"""Team roles, each allowed what the one before it is."""


def _service_name(name: str) -> str:
    if not SERVICE_NAME.fullmatch(name):
        raise ValueError(f"{name!r}: use lowercase letters, digits, - and _")
    if name in RESERVED_NAMES:
        raise ValueError(f"{name!r} is reserved; pick another service name")
    return name


def _signing_secret(secret: str) -> str:
    if not secret.strip():  # an empty HMAC key signs what anyone can forge
        raise ValueError("is empty: events to the service would be signed with no secret")
    return secret


def _as_text(value: Any) -> Any:
    # An id YAML reads as a number (a Telegram user id) is the same id as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class BatchFile(Section):
    """Batched delivery: up to ``max_events`` events in one signed POST."""

    max_events: int = Field(ge=1, le=MAX_BATCH)


class ServiceFile(Section):
    """A service attached to every number, after the runtime's own."""

    name: Annotated[str, AfterValidator(_service_name)]
    url: Annotated[str, AfterValidator(http_url)]
    """Where its events are posted, signed with ``secret``: an http(s) URL."""
    secret: Annotated[str, AfterValidator(_signing_secret)]
    mask: bool = True
    """Hide other services' replies from it."""
    batch: BatchFile | None = None
    """Opt in to batched delivery: several events in one signed POST."""
    automation: AutomationFile | None = None
    """Its automation, which runs only while it is the parent."""


class DeliveryFile(Section):
    """Fan-out retries, in seconds: exponential backoff with full jitter, then dead letters."""

    retry_base: float = Field(default=1.0, gt=0, le=DAY)
    retry_cap: float = Field(default=600.0, gt=0, le=DAY)
    retry_horizon: float = Field(default=24 * 3600.0, gt=0, le=30 * DAY)
    """After this long, an event that still fails is dead-lettered."""
    timeout: float = Field(default=10.0, gt=0, le=300)
    concurrency: int = Field(default=64, ge=1, le=10_000)
    """Deliveries in flight per service."""

    @model_validator(mode="after")
    def _cap_above_base(self) -> DeliveryFile:
        if self.retry_cap < self.retry_base:
            raise ValueError("retry_cap must be at least retry_base")
        return self


class ClaimsFile(Section):
    idle_timeout: float = Field(default=30 * 60.0, gt=0, le=30 * DAY)
    """Seconds after which an idle claim lapses (SN-5)."""


class TelegramFile(Section):
    lease_ttl: float = Field(default=10.0, ge=2, le=300)
    """Seconds before another process takes over a dead poller's token (CH-3)."""


Colour = Annotated[str, matching(r"#[0-9A-Fa-f]{6}", "a colour like #2563eb")]
WebAddress = Annotated[str, matching(r"https?://[^\s\"'<>]+", "an http(s) URL")]


class WebchatFile(Section):
    """The web chat's page and its widget (``{PUBLIC_URL}/widget.js``), and their branding."""

    site: str = Field(default="site", min_length=1)
    """The web chat's number is ``web:<site>``."""
    title: str = Field(default="Chat with us", min_length=1, max_length=80)
    """The heading of the chat, and the launcher button's label."""
    colour: Colour = "#2563eb"
    """The accent colour: the heading, the launcher and the visitor's bubbles."""
    greeting: str = Field(default="Say hello: we usually answer right away.", max_length=300)
    """The line an empty chat shows before the first message."""
    logo: WebAddress | None = None
    """An image shown beside the title (a square of about 32 pixels)."""
    files_mb_per_hour: int = Field(default=256, ge=10, le=100_000)
    """MB of visitors' files the chat keeps in an hour, whoever sends them; past it a
    file is refused (429) until the next hour. The files are kept 30 days in Redis."""
    messages_per_hour: int = Field(default=6000, ge=100, le=10_000_000)
    """Messages the chat takes from its visitors in an hour, whoever sends them; past it a
    message is refused until the next hour (the page sends it again then)."""


Origin = Annotated[
    str,
    matching(
        ORIGIN.pattern,
        "an origin like https://shop.example.com: a scheme, a host name of letters, digits, "
        ". and - (no IPv6 address: a visitor token and the page's frame-ancestors carry "
        "none), and a port",
    ),
    AfterValidator(browser_origin),
]


class TrackingFile(Section):
    origins: list[Origin] = []
    """Origins (``https://shop.example.com``) whose pages may post web activity (PS-4)."""
    events_mb_per_hour: int = Field(default=64, ge=1, le=100_000)
    """MB of web events (``POST /t/events`` bodies) and tracked-link clicks kept in an hour,
    whoever sends them; past it a post is refused (429), and a click redirects but is not
    kept, until the next hour. They are kept a year in Redis."""


IdentityKind = Literal["phone", "wa", "wauser", "tg", "email", "vid", "ext"]


class ProfilesFile(Section):
    """Stitching and the lifecycle of profiles (PS-2, PS-5, PS-6)."""

    caps: dict[IdentityKind, Annotated[int, Field(ge=1)]] = {}
    """At most this many identities of a type in one profile."""
    blocked: list[Annotated[str, BeforeValidator(_as_text, json_schema_input_type=str | int)]] = []
    """Identities that never join a profile (an office switchboard)."""
    number_owners: dict[str, str] = {}
    """The team member (email) who owns each number's new profiles."""
    default_owner: str = ""
    notes_timezone: TimeZone = "UTC"
    """The day a daily note covers begins at midnight here."""

    @field_validator("number_owners")
    @classmethod
    def _numbers(cls, owners: dict[str, str]) -> dict[str, str]:
        # A key named otherwise than the bot names its numbers would own nothing, in silence.
        for number in owners:
            if not NUMBER.fullmatch(number) and not holds_lone_surrogate(number):  # said apart
                raise ValueError(f"{number[:40]!r} must be {A_NUMBER}")
        return owners

    @field_validator("blocked")
    @classmethod
    def _identities(cls, blocked: list[str], info: ValidationInfo) -> list[str]:
        region = (info.context or {}).get("region", "GB")
        for value in blocked:
            try:
                parse_identity(value, region)
            except (InvalidIdentityError, ValueError) as error:
                raise ValueError(f"{value!r}: {error}") from None
        return blocked


class TeamMemberFile(Section):
    """A person who works the number: an owner of profiles, a user of slash commands."""

    email: Annotated[str, matching(r"[^@\s]+@[^@\s]+", "an email address")]
    name: str = ""
    role: Literal["viewer", "agent", "admin"] = "agent"
    telegram: Annotated[
        str,
        BeforeValidator(_as_text, json_schema_input_type=str | int),
        # An @username or a "tg:" would never match a sender: their commands refused.
        matching(r"(?:[0-9]{1,20})?", "a Telegram user id: its digits, like 123456789"),
    ] = ""
    """Their Telegram user id, for commands from the team chat."""
    phone: str = ""
    """Their phone number (E.164, or national in ``DEFAULT_REGION``): a campaign's test
    send goes to it (``POST /v1/notifications/{id}/test``, ``/notify test``)."""

    @field_validator("phone")
    @classmethod
    def _phone(cls, phone: str, info: ValidationInfo) -> str:
        if not phone:
            return ""
        region = (info.context or {}).get("region", "GB")
        written = phone if ":" in phone else f"phone:{phone}"
        try:
            identity = parse_identity(written, region)
        except (InvalidIdentityError, ValueError) as error:
            raise ValueError(f"{phone[:40]!r}: {str(error)[:200]}") from None
        if identity.kind != "phone":
            raise ValueError(f"{phone[:40]!r} is not a phone number")
        if not phonenumbers.is_valid_number(phonenumbers.parse(identity.value, None)):
            # A test send decides the number as a campaign does: it would always be
            # skipped as invalid_number, so say so at the start rather than at each test.
            raise ValueError(f"{phone[:40]!r} is not a number in use: no test could reach it")
        return identity.value


class ConfigFile(Section):
    """Switchboard's YAML file: services, automation, delivery, profiles, the team and
    outreach. Every key is optional; ``${VAR}`` in a value is read from the environment."""

    model_config = ConfigDict(title="switchboard.yaml")

    runtime_service: bool = True
    """Attach the runtime's own service, ``bot``, first on each number (SN-1)."""
    services: list[ServiceFile] = []
    automation: AutomationFile = AutomationFile()
    """The automation of ``bot``; edits apply without a restart."""
    delivery: DeliveryFile = DeliveryFile()
    claims: ClaimsFile = ClaimsFile()
    telegram: TelegramFile = TelegramFile()
    webchat: WebchatFile = WebchatFile()
    tracking: TrackingFile = TrackingFile()
    profiles: ProfilesFile = ProfilesFile()
    team: list[TeamMemberFile] = []
    notifications: NotificationsFile = NotificationsFile()
    workflows: list[WorkflowFile] = []
    sequences: list[SequenceFile] = []
    """Drip sequences: a trigger, then steps separated by waits (AU-4)."""
    rate_card: RateCardFile = RateCardFile()
    keywords: KeywordsFile = KeywordsFile()
    live: LiveFile = LiveFile()
    templates: list[TemplateFile] = []
    """The WhatsApp templates Meta approved for the number, offered in the live view."""

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, document: Any) -> Any:
        # ``services:`` with every entry commented out is no services, not an error.
        if isinstance(document, dict):
            return {key: value for key, value in document.items() if value is not None}
        return document

    @field_validator("services")
    @classmethod
    def _unique(cls, services: list[ServiceFile]) -> list[ServiceFile]:
        names = [service.name for service in services]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice:
            raise ValueError(f"service {twice!r} is listed twice")
        return services

    @field_validator("team")
    @classmethod
    def _each_once(cls, team: list[TeamMemberFile]) -> list[TeamMemberFile]:
        # Listed twice, a member's first entry would win, its role too: which one is
        # meant is the operator's to say.
        emails = [person_email(member.email) for member in team]
        twice = next((email for email in emails if emails.count(email) > 1), None)
        if twice:
            raise ValueError(f"team member {twice!r} is listed twice")
        ids = [member.telegram for member in team if member.telegram]
        twice = next((tid for tid in ids if ids.count(tid) > 1), None)
        if twice:
            raise ValueError(f"Telegram id {twice} is given to two team members")
        return team

    @field_validator("team")
    @classmethod
    def _owners_on_the_team(
        cls, team: list[TeamMemberFile], info: ValidationInfo
    ) -> list[TeamMemberFile]:
        # With a team, an owner counts only if on it: one that is not would never own a
        # profile, and nothing would say so.
        profiles = info.data.get("profiles")
        if not team or not isinstance(profiles, ProfilesFile):
            return team
        emails = {person_email(member.email) for member in team}
        owners = [("profiles.default_owner", profiles.default_owner)] + [
            (f"profiles.number_owners.{number}", owner)
            for number, owner in profiles.number_owners.items()
        ]
        for where, owner in owners:
            if owner.strip() and person_email(owner) not in emails:
                raise ValueError(
                    f"{where} {owner.strip()!r} is not on the team: the owner of new "
                    "profiles is one of team's emails"
                )
        return team

    @field_validator("sequences")
    @classmethod
    def _unique_sequences(cls, sequences: list[SequenceFile]) -> list[SequenceFile]:
        return unique_names(sequences)

    @field_validator("templates")
    @classmethod
    def _one_each(cls, templates: list[TemplateFile]) -> list[TemplateFile]:
        seen = [(template.name, template.language) for template in templates]
        twice = next((pair for pair in seen if seen.count(pair) > 1), None)
        if twice:
            raise ValueError(f"template {twice[0]!r} in {twice[1]!r} is listed twice")
        return templates


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the YAML file, for editors to check and complete it."""
    schema = ConfigFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
