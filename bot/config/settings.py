"""Settings: twelve-factor environment variables plus one YAML file for services and automation."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.config.automation import (
    AutomationSettings,
    automation_settings,
)
from bot.config.base import ConfigError, read_int, read_positive
from bot.config.channels import (
    SMSSettings,
    TelegramSettings,
    WhatsAppSettings,
    keyword_settings,
    sms_settings,
    telegram_settings,
    whatsapp_settings,
)
from bot.config.notifications import (
    NotificationSettings,
    RateCard,
    WorkflowRule,
    notification_settings,
    rate_card,
    workflow_rules,
)
from bot.identities import IDENTITY_KINDS, InvalidIdentityError, parse_identity
from bot.model import AUTOMATION_SERVICE, DEFAULT_CAPS, MergePolicy, Service

DEFAULT_CONFIG_FILE = "switchboard.yaml"
SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
RESERVED_NAMES = frozenset({AUTOMATION_SERVICE, "admin", "team"})
"""The runtime's own service, the operator's identity on the API, and the team chat."""


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How fan-out retries: exponential backoff with full jitter, then dead letters."""

    retry_base: float = 1.0
    retry_cap: float = 600.0
    retry_horizon: float = 24 * 3600.0
    timeout: float = 10.0
    concurrency: int = 64


ROLES = ("viewer", "agent", "admin")
"""Team roles, each allowed what the one before it is."""


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A person who works the number: an owner of profiles, and a user of slash commands."""

    email: str
    name: str = ""
    role: str = "agent"
    telegram: str = ""
    """Their Telegram user id, for commands from the team chat."""


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    """Stitching and the lifecycle of profiles (PS-2, PS-5, PS-6)."""

    policy: MergePolicy = field(default_factory=MergePolicy)
    default_owner: str = ""
    number_owners: Mapping[str, str] = field(default_factory=dict)
    """The team member (email) who owns each number; owners of its new profiles."""
    notes_timezone: str = "UTC"
    """The day a daily note covers begins at midnight here."""


@dataclass(frozen=True, slots=True)
class Settings:
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    default_region: str = "GB"
    key_prefix: str = "sb:"
    shards: int = 8
    web_site: str = "site"
    whatsapp: WhatsAppSettings | None = None
    telegram: TelegramSettings | None = None
    sms: SMSSettings | None = None
    telegram_lease_ttl: float = 10.0
    """Seconds before another process takes over a dead poller's token (CH-3)."""
    services: tuple[Service, ...] = ()
    automation: AutomationSettings = field(default_factory=AutomationSettings)
    runtime_service: bool = True
    """Attach the runtime's own service, ``bot``, first on each number (SN-1)."""
    delivery: DeliverySettings = DeliverySettings()
    claim_idle: float = 30 * 60.0
    """Seconds after which an idle claim lapses (SN-5)."""
    admin_token: str = field(default="", repr=False)
    """SWITCHBOARD_ADMIN_TOKEN: the operator's token for attaching services over the API."""
    profiles: ProfileSettings = ProfileSettings()
    team: tuple[TeamMember, ...] = ()
    tracking_origins: tuple[str, ...] = ()
    """Origins (``https://shop.example.com``) whose pages may post web activity (PS-4)."""
    link_secret: str = field(default="", repr=False)
    """SWITCHBOARD_LINK_SECRET: signs tracked links; unset, one is kept in Redis."""
    links: bool = False
    """Rewrite URLs in outbound messages into tracked links: on when PUBLIC_URL is set."""
    config_path: str | None = None
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    """Quiet hours and the deployment's time zone for notifications (AU-4)."""
    workflows: tuple[WorkflowRule, ...] = ()
    """Rules that turn services' workflow events into messages (AU-3)."""
    rate_card: RateCard = field(default_factory=RateCard)
    """Prices of template messages, for the cost ledger (AU-5)."""
    keywords: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """Opt-out, opt-in and help words per channel that replace its defaults (AU-4)."""

    def team_member(self, email: str) -> TeamMember | None:
        email = email.strip().lower()
        return next((m for m in self.team if m.email == email), None)

    @property
    def web_number(self) -> str:
        return f"web:{self.web_site}"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment and the YAML file; a half-configured channel is a ConfigError."""
    env = os.environ if env is None else env
    path = env.get("SWITCHBOARD_CONFIG") or (
        DEFAULT_CONFIG_FILE if Path(DEFAULT_CONFIG_FILE).is_file() else None
    )
    document = _read_yaml(path, env) if path else {}
    port = read_int(env.get("PORT", "8080"), "PORT")
    host = env.get("HOST", "127.0.0.1")
    return Settings(
        redis_url=env.get("REDIS_URL") or None,
        host=host,
        port=port,
        public_url=env.get("PUBLIC_URL") or f"http://{host}:{port}",
        default_region=env.get("DEFAULT_REGION", "GB"),
        key_prefix=env.get("SWITCHBOARD_KEY_PREFIX", "sb:"),
        shards=read_positive(env.get("SWITCHBOARD_SHARDS", "8"), "SWITCHBOARD_SHARDS"),
        web_site=str(document.get("webchat", {}).get("site", "site")),
        whatsapp=whatsapp_settings(env),
        telegram=telegram_settings(env),
        telegram_lease_ttl=_lease_ttl(document.get("telegram") or {}),
        sms=sms_settings(env),
        services=_services(document.get("services") or []),
        automation=automation_settings(document.get("automation") or {}),
        runtime_service=bool(document.get("runtime_service", True)),
        claim_idle=_claim_idle(document.get("claims") or {}),
        admin_token=env.get("SWITCHBOARD_ADMIN_TOKEN", ""),
        delivery=_delivery(document.get("delivery") or {}),
        profiles=_profiles(document.get("profiles") or {}, env.get("DEFAULT_REGION", "GB")),
        team=_team(document.get("team") or []),
        tracking_origins=_origins((document.get("tracking") or {}).get("origins") or []),
        link_secret=env.get("SWITCHBOARD_LINK_SECRET", ""),
        links=bool(env.get("PUBLIC_URL")),
        config_path=path,
        notifications=notification_settings(document.get("notifications") or {}),
        workflows=workflow_rules(document.get("workflows") or []),
        rate_card=rate_card(document.get("rate_card") or {}),
        keywords=keyword_settings(document.get("keywords") or {}),
    )


_ENV_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)\}")


def reload_automation(
    path: str, env: Mapping[str, str] | None = None
) -> tuple[AutomationSettings, tuple[Service, ...]]:
    """The automation and the services of the YAML file as it is now, for a running bot
    to take without a restart; ConfigError when the file is broken."""
    document = _read_yaml(path, os.environ if env is None else env)
    return automation_settings(document.get("automation") or {}), _services(
        document.get("services") or []
    )


def _read_yaml(path: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Load the YAML file, filling ``${VAR}`` in values from the environment, so that
    secrets stay out of the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ConfigError(f"{path} refers to ${{{name}}}, which is not set")
        return env[name]

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _ENV_REFERENCE.sub(substitute, value)
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    filled: dict[str, Any] = fill(document)
    return filled


def _services(items: list[Any]) -> tuple[Service, ...]:
    services: list[Service] = []
    for item in items:
        if not isinstance(item, dict) or not {"name", "url", "secret"} <= item.keys():
            raise ConfigError(f"each service needs name, url and secret: got {item!r}")
        name = str(item["name"])
        if not SERVICE_NAME.fullmatch(name):
            raise ConfigError(f"service name {name!r}: use lowercase letters, digits, - and _")
        if name in RESERVED_NAMES:
            raise ConfigError(f"{name!r} is reserved; pick another service name")
        if any(service.name == name for service in services):
            raise ConfigError(f"service {name!r} is listed twice")
        automation = item.get("automation")
        if automation is not None:
            if not isinstance(automation, dict):
                raise ConfigError(f"service {name!r}: automation must be a mapping")
            automation_settings(automation)  # refused now, not when it becomes parent
        services.append(
            Service(
                name=name,
                url=str(item["url"]),
                secret=str(item["secret"]),
                mask=bool(item.get("mask", True)),
                automation=automation,
            )
        )
    return tuple(services)


def _delivery(section: dict[str, Any]) -> DeliverySettings:
    defaults = DeliverySettings()
    try:
        return DeliverySettings(
            retry_base=float(section.get("retry_base", defaults.retry_base)),
            retry_cap=float(section.get("retry_cap", defaults.retry_cap)),
            retry_horizon=float(section.get("retry_horizon", defaults.retry_horizon)),
            timeout=float(section.get("timeout", defaults.timeout)),
            concurrency=int(section.get("concurrency", defaults.concurrency)),
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(f"delivery settings: {error}") from None


def _profiles(section: Any, region: str) -> ProfileSettings:
    if not isinstance(section, dict):
        raise ConfigError("profiles must be a mapping")
    caps = dict(DEFAULT_CAPS)
    for kind, cap in (section.get("caps") or {}).items():
        if kind not in IDENTITY_KINDS or not isinstance(cap, int) or cap < 1:
            raise ConfigError(f"profiles.caps.{kind}: a known identity type and a count >= 1")
        caps[kind] = cap
    blocked = set()
    for value in section.get("blocked") or []:
        try:
            blocked.add(parse_identity(str(value), region).key)
        except (InvalidIdentityError, ValueError) as error:
            raise ConfigError(f"profiles.blocked: {error}") from None
    owners = section.get("number_owners") or {}
    if not isinstance(owners, dict):
        raise ConfigError("profiles.number_owners maps a number to a team member's email")
    timezone = str(section.get("notes_timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"profiles.notes_timezone: unknown time zone {timezone!r}") from None
    return ProfileSettings(
        policy=MergePolicy(caps=caps, blocked=frozenset(blocked)),
        default_owner=str(section.get("default_owner", "")).strip().lower(),
        number_owners={str(k): str(v).strip().lower() for k, v in owners.items()},
        notes_timezone=timezone,
    )


def _team(items: Any) -> tuple[TeamMember, ...]:
    if not isinstance(items, list):
        raise ConfigError("team must be a list of members")
    members: list[TeamMember] = []
    for item in items:
        if not isinstance(item, dict) or "@" not in str(item.get("email", "")):
            raise ConfigError(f"each team member needs an email: got {item!r}")
        role = str(item.get("role", "agent"))
        if role not in ROLES:
            raise ConfigError(f"team member {item['email']}: role is one of {', '.join(ROLES)}")
        members.append(
            TeamMember(
                email=str(item["email"]).strip().lower(),
                name=str(item.get("name", "")),
                role=role,
                telegram=str(item.get("telegram", "")),
            )
        )
    return tuple(members)


def _origins(items: Any) -> tuple[str, ...]:
    if not isinstance(items, list) or not all(
        isinstance(o, str) and re.fullmatch(r"https?://[^/\s]+", o) for o in items
    ):
        raise ConfigError("tracking.origins is a list like ['https://shop.example.com']")
    return tuple(items)


def _lease_ttl(section: Any) -> float:
    try:
        ttl = float(section.get("lease_ttl", 10))
    except (AttributeError, TypeError, ValueError):
        raise ConfigError("telegram.lease_ttl must be a number of seconds") from None
    if not 2 <= ttl <= 300:
        raise ConfigError("telegram.lease_ttl must be between 2 and 300 seconds")
    return ttl


def _claim_idle(section: dict[str, Any]) -> float:
    try:
        idle = float(section.get("idle_timeout", 30 * 60))
    except (TypeError, ValueError):
        raise ConfigError("claims.idle_timeout must be a number of seconds") from None
    if idle <= 0:
        raise ConfigError("claims.idle_timeout must be positive")
    return idle
