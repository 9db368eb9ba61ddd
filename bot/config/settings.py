"""Settings: twelve-factor environment variables plus one YAML file for services and automation."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters.webchat import Branding
from bot.config.automation import AutomationSettings, automation_from
from bot.config.base import ConfigError, line_of, problems
from bot.config.channels import (
    SMSSettings,
    TelegramSettings,
    WhatsAppSettings,
    keywords_from,
    sms_settings,
    telegram_settings,
    whatsapp_settings,
)
from bot.config.document import RESERVED_NAMES, ROLES, SERVICE_NAME, ConfigFile
from bot.config.environment import Environment, read_environment
from bot.config.flows import named_flow_files
from bot.config.live import ApprovedTemplate, templates_from
from bot.config.notifications import (
    NotificationSettings,
    RateCard,
    WorkflowRule,
    notifications_from,
    rate_card_from,
    workflows_from,
)
from bot.config.sequences import Sequence, sequences_from
from bot.config.yamlfile import lines_of, read_yaml
from bot.identities import parse_identity, person_email, with_whatsapp_forms
from bot.model import DEFAULT_CAPS, MergePolicy, Service

# The rest of the code imports these from here.
__all__ = ["RESERVED_NAMES", "ROLES", "SERVICE_NAME", "ConfigError", "Settings", "load_settings"]

DEFAULT_CONFIG_FILE = "switchboard.yaml"


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How fan-out retries: exponential backoff with full jitter, then dead letters."""

    retry_base: float = 1.0
    retry_cap: float = 600.0
    retry_horizon: float = 24 * 3600.0
    timeout: float = 10.0
    concurrency: int = 64


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A person who works the number: an owner of profiles, and a user of slash commands."""

    email: str
    name: str = ""
    role: str = "agent"
    telegram: str = ""
    """Their Telegram user id, for commands from the team chat."""
    phone: str = ""
    """Their phone number in E.164, where a campaign's test send goes."""


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
    branding: Branding = field(default_factory=Branding)
    """The web chat's title, colour, greeting and logo."""
    web_file_bytes_per_hour: int = 256 * 1024 * 1024
    web_event_bytes_per_hour: int = 64 * 1024 * 1024
    """What the web chat's visitors may send in files an hour, all of them together: one
    client that takes a new visitor id for each batch still cannot fill Redis."""
    web_messages_per_hour: int = 6000
    """The messages the web chat's visitors may send an hour, all of them together: one
    client that takes a new visitor id for each burst still cannot flood the services."""
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
    visitor_secret: str = field(default="", repr=False)
    """SWITCHBOARD_VISITOR_SECRET: the key a site signs its widget visitors' ids with."""
    links: bool = False
    """Rewrite URLs in outbound messages into tracked links: on when PUBLIC_URL is set."""
    config_path: str | None = None
    config_read_at: float | None = None
    """When (``time.time()``) the config file was read for these settings: the config watch
    takes a change of it since at its first look."""
    services_as_stored: bool = False
    """Start with the services' definitions as stored, not as ``services`` has them: a
    worker started beside running ones while the config file is broken (what they run)."""
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    """Quiet hours and the deployment's time zone for notifications (AU-4)."""
    workflows: tuple[WorkflowRule, ...] = ()
    """Rules that turn services' workflow events into messages (AU-3)."""
    sequences: tuple[Sequence, ...] = ()
    """Drip sequences (AU-4)."""
    rate_card: RateCard = field(default_factory=RateCard)
    """Prices of template messages, for the cost ledger (AU-5)."""
    keywords: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """Opt-out, opt-in and help words per channel that replace its defaults (AU-4)."""
    sms_help: str = ""
    """What HELP gets by SMS (``keywords.sms.help_reply``); '' for the default answer."""
    live_token_ttl: float = 3600.0
    """Seconds a live view token lasts, at most."""
    templates: tuple[ApprovedTemplate, ...] = ()
    """The WhatsApp templates Meta approved for the number, offered in the live view."""
    loop: str | None = None
    """SWITCHBOARD_LOOP: ``uvloop`` or ``asyncio``; unset, uvloop when it is installed."""

    def team_member(self, email: str) -> TeamMember | None:
        email = person_email(email)
        return next((m for m in self.team if m.email == email), None)

    @property
    def web_number(self) -> str:
        return f"web:{self.web_site}"


def local_url(host: str, port: int) -> str:
    """Where the bot answers when no PUBLIC_URL says otherwise: ``http://[::1]:8080`` for
    an IPv6 address, which a URL writes in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment and the YAML file; ConfigError holds a line per problem."""
    env = os.environ if env is None else env
    read_at = time.time()  # before the read: an edit made during it is taken afterwards
    variables = read_environment(env)
    path = variables.SWITCHBOARD_CONFIG or (
        DEFAULT_CONFIG_FILE if Path(DEFAULT_CONFIG_FILE).is_file() else None
    )
    written = read_config(path, env, variables.DEFAULT_REGION) if path else ConfigFile()
    return Settings(
        redis_url=variables.REDIS_URL,
        host=variables.HOST,
        port=variables.PORT,
        public_url=variables.PUBLIC_URL or local_url(variables.HOST, variables.PORT),
        default_region=variables.DEFAULT_REGION,
        key_prefix=variables.SWITCHBOARD_KEY_PREFIX,
        shards=variables.SWITCHBOARD_SHARDS,
        web_site=written.webchat.site,
        web_file_bytes_per_hour=written.webchat.files_mb_per_hour * 1024 * 1024,
        web_event_bytes_per_hour=written.tracking.events_mb_per_hour * 1024 * 1024,
        web_messages_per_hour=written.webchat.messages_per_hour,
        branding=Branding(
            title=written.webchat.title,
            colour=written.webchat.colour,
            greeting=written.webchat.greeting,
            logo=written.webchat.logo,
        ),
        whatsapp=whatsapp_settings(variables),
        telegram=telegram_settings(variables),
        telegram_lease_ttl=written.telegram.lease_ttl,
        sms=sms_settings(variables),
        services=_services(written),
        automation=automation_from(written.automation),
        runtime_service=written.runtime_service,
        claim_idle=written.claims.idle_timeout,
        admin_token=variables.SWITCHBOARD_ADMIN_TOKEN,
        delivery=DeliverySettings(**written.delivery.model_dump()),
        profiles=_profiles(written, variables),
        team=tuple(
            TeamMember(**{**member.model_dump(), "email": person_email(member.email)})
            for member in written.team
        ),
        tracking_origins=tuple(written.tracking.origins),
        link_secret=variables.SWITCHBOARD_LINK_SECRET,
        visitor_secret=variables.SWITCHBOARD_VISITOR_SECRET,
        links=variables.PUBLIC_URL is not None,
        config_path=path,
        config_read_at=read_at if path else None,
        notifications=notifications_from(written.notifications),
        workflows=workflows_from(written.workflows),
        sequences=sequences_from(written.sequences),
        rate_card=rate_card_from(written.rate_card),
        keywords=keywords_from(written.keywords),
        sms_help=(written.keywords.sms.help_reply or "") if written.keywords.sms else "",
        live_token_ttl=written.live.token_ttl,
        templates=templates_from(written.templates),
        loop=variables.SWITCHBOARD_LOOP,
    )


def read_config(path: str, env: Mapping[str, str], region: str = "GB") -> ConfigFile:
    """The YAML file at ``path``, validated whole; ConfigError has a line per problem,
    each naming the file, the line and the key."""
    document, lines, unusable = read_yaml(path, env)
    for key, where in named_flow_files(document):  # a flow file's problem names its line
        # What the config file itself writes beside ``file:`` keeps the config's lines.
        lines = {**lines_of(str(where), key), **lines, key: (str(where), 1)}
    try:
        written = ConfigFile.model_validate(document, context={"region": region})
    except ValidationError as error:
        found = problems(error, ConfigFile, lines=lines)
        # A key whose variable is unset is said once, not again for the "" it holds.
        said = {tuple(problem.split(": ", 2)[:2]) for problem in unusable}
        found = [p for p in found if tuple(p.split(": ", 2)[:2]) not in said]
        raise ConfigError(*sorted([*unusable, *found], key=line_of)) from None
    if unusable:
        raise ConfigError(*unusable)
    return written


@dataclass(frozen=True, slots=True)
class Reloaded:
    """The config file as a running bot reads it again: what it takes (the automation and
    the services' definitions), and what waits for a start (``sections_at_start``)."""

    automation: AutomationSettings
    services: tuple[Service, ...]
    sections: dict[str, Any]


def reload_automation(path: str, env: Mapping[str, str] | None = None) -> Reloaded:
    """The YAML file as it is now, for a running bot; ConfigError when it is broken."""
    env = os.environ if env is None else env
    written = read_config(path, env, env.get("DEFAULT_REGION") or "GB")
    return Reloaded(automation_from(written.automation), _services(written), _sections(written))


def as_the_file_is_now(settings: Settings) -> Settings:
    """``settings`` with what the running processes took from the config file since it was
    read (AU-1): its automation and its services' definitions as they are now, for a
    process that starts beside them (a service added or removed waits for a restart).
    ConfigError when the file is broken."""
    if not settings.config_path:
        return settings
    read_at = time.time()
    reloaded = reload_automation(settings.config_path)
    now = {service.name: service for service in reloaded.services}
    return replace(
        settings,
        automation=reloaded.automation,
        services=tuple(now.get(service.name, service) for service in settings.services),
        config_read_at=read_at,
        services_as_stored=False,
    )


RELOADED_SECTIONS = frozenset({"automation", "services"})
"""What a running bot takes from its config file when it changes; the rest at a start."""


def sections_at_start(path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The config file's sections a running bot does not take when they change, as they
    are now; ConfigError when the file is broken."""
    return reload_automation(path, env).sections


def _sections(written: ConfigFile) -> dict[str, Any]:
    """The sections a running bot does not take, and the names of its services (one added
    is attached at a start)."""
    found = written.model_dump(exclude=set(RELOADED_SECTIONS))
    found["services (added or removed)"] = sorted(service.name for service in written.services)
    return found


def _services(written: ConfigFile) -> tuple[Service, ...]:
    return tuple(
        Service(
            name=service.name,
            url=service.url,
            secret=service.secret,
            mask=service.mask,
            batch=service.batch.max_events if service.batch else 0,
            automation=(
                service.automation.model_dump(exclude_unset=True) if service.automation else None
            ),
        )
        for service in written.services
    )


def _profiles(written: ConfigFile, variables: Environment) -> ProfileSettings:
    section = written.profiles
    region = variables.DEFAULT_REGION
    return ProfileSettings(
        policy=MergePolicy(
            caps={**DEFAULT_CAPS, **{str(kind): cap for kind, cap in section.caps.items()}},
            # A line as a phone and as the WhatsApp id it writes from, and an Argentine
            # line in both its forms (a mobile's +54 9 is the same line).
            blocked=frozenset(
                identity.key
                for value in section.blocked
                for identity in with_whatsapp_forms([parse_identity(value, region)])
            ),
        ),
        default_owner=person_email(section.default_owner) if section.default_owner else "",
        number_owners={k: person_email(v) for k, v in section.number_owners.items()},
        notes_timezone=section.notes_timezone,
    )
