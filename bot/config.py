"""Settings: twelve-factor environment variables plus one YAML file for services and automation."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.model import AUTOMATION_SERVICE, Service

DEFAULT_CONFIG_FILE = "switchboard.yaml"
SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
RESERVED_NAMES = frozenset({AUTOMATION_SERVICE, "admin"})
"""The runtime's own service, and the operator's identity on the API."""
DEFAULT_WHATSAPP_API_BASE = "https://graph.facebook.com/v21.0"
DEFAULT_WELCOME = "Hi! Thanks for getting in touch. How can we help?"


class ConfigError(Exception):
    """The configuration cannot start a runtime; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class WhatsAppSettings:
    """One WhatsApp Cloud API number."""

    phone_number_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    api_base: str = DEFAULT_WHATSAPP_API_BASE

    @property
    def number(self) -> str:
        return f"wa:{self.phone_number_id}"


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """An auto-reply rule: words or a regex, the answer, and a priority (higher wins)."""

    reply: str
    keywords: tuple[str, ...] = ()
    pattern: str = ""
    priority: int = 0


@dataclass(frozen=True, slots=True)
class AutomationSettings:
    welcome: str = DEFAULT_WELCOME
    rules: tuple[KeywordRule, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How fan-out retries: exponential backoff with full jitter, then dead letters."""

    retry_base: float = 1.0
    retry_cap: float = 600.0
    retry_horizon: float = 24 * 3600.0
    timeout: float = 10.0
    concurrency: int = 64


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
    services: tuple[Service, ...] = ()
    automation: AutomationSettings = AutomationSettings()
    runtime_service: bool = True
    """Attach the runtime's own service, ``bot``, first on each number (SN-1)."""
    delivery: DeliverySettings = DeliverySettings()
    claim_idle: float = 30 * 60.0
    """Seconds after which an idle claim lapses (SN-5)."""
    admin_token: str = field(default="", repr=False)
    """SWITCHBOARD_ADMIN_TOKEN: the operator's token for attaching services over the API."""
    config_path: str | None = None

    @property
    def web_number(self) -> str:
        return f"web:{self.web_site}"


_WHATSAPP_VARS = {
    "phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
    "access_token": "WHATSAPP_ACCESS_TOKEN",
    "app_secret": "WHATSAPP_APP_SECRET",
    "verify_token": "WHATSAPP_VERIFY_TOKEN",
}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment and the YAML file; a half-configured channel is a ConfigError."""
    env = os.environ if env is None else env
    path = env.get("SWITCHBOARD_CONFIG") or (
        DEFAULT_CONFIG_FILE if Path(DEFAULT_CONFIG_FILE).is_file() else None
    )
    document = _read_yaml(path, env) if path else {}
    port = _int(env.get("PORT", "8080"), "PORT")
    host = env.get("HOST", "127.0.0.1")
    return Settings(
        redis_url=env.get("REDIS_URL") or None,
        host=host,
        port=port,
        public_url=env.get("PUBLIC_URL") or f"http://{host}:{port}",
        default_region=env.get("DEFAULT_REGION", "GB"),
        key_prefix=env.get("SWITCHBOARD_KEY_PREFIX", "sb:"),
        shards=_positive(env.get("SWITCHBOARD_SHARDS", "8"), "SWITCHBOARD_SHARDS"),
        web_site=str(document.get("webchat", {}).get("site", "site")),
        whatsapp=_whatsapp(env),
        services=_services(document.get("services") or []),
        automation=automation_settings(document.get("automation") or {}),
        runtime_service=bool(document.get("runtime_service", True)),
        claim_idle=_claim_idle(document.get("claims") or {}),
        admin_token=env.get("SWITCHBOARD_ADMIN_TOKEN", ""),
        delivery=_delivery(document.get("delivery") or {}),
        config_path=path,
    )


def _whatsapp(env: Mapping[str, str]) -> WhatsAppSettings | None:
    values = {name: env.get(var, "") for name, var in _WHATSAPP_VARS.items()}
    if not any(values.values()):
        return None
    missing = [_WHATSAPP_VARS[name] for name, value in values.items() if not value]
    if missing:
        raise ConfigError(
            "WhatsApp is half configured: set " + ", ".join(missing) + " or unset the others"
        )
    base = env.get("WHATSAPP_API_BASE") or DEFAULT_WHATSAPP_API_BASE
    return WhatsAppSettings(api_base=base.rstrip("/"), **values)


_ENV_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)\}")


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


def automation_settings(section: dict[str, Any]) -> AutomationSettings:
    """An ``automation`` section of the config file as settings; ConfigError if it is bad."""
    rules = []
    for item in section.get("rules") or []:
        if not isinstance(item, dict) or "reply" not in item:
            raise ConfigError(f"each automation rule needs a reply: got {item!r}")
        keywords = item.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [keywords]
        pattern = str(item.get("pattern", ""))
        if not keywords and not pattern:
            raise ConfigError(f"rule {item['reply']!r} needs keywords or a pattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ConfigError(f"rule pattern {pattern!r} is not a regex: {error}") from None
        rules.append(
            KeywordRule(
                reply=str(item["reply"]),
                keywords=tuple(str(word).lower() for word in keywords),
                pattern=pattern,
                priority=int(item.get("priority", 0)),
            )
        )
    welcome = str(section.get("welcome", DEFAULT_WELCOME))
    return AutomationSettings(welcome=welcome, rules=tuple(rules))


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


def _claim_idle(section: dict[str, Any]) -> float:
    try:
        idle = float(section.get("idle_timeout", 30 * 60))
    except (TypeError, ValueError):
        raise ConfigError("claims.idle_timeout must be a number of seconds") from None
    if idle <= 0:
        raise ConfigError("claims.idle_timeout must be positive")
    return idle


def _positive(value: str, name: str) -> int:
    number = _int(value, name)
    if number < 1:
        raise ConfigError(f"{name} must be at least 1, got {number}")
    return number


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
