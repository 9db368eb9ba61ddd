"""The process's environment variables (twelve-factor), checked before anything starts: a
bad one is refused in one line that names it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Literal
from urllib.parse import urlsplit

import phonenumbers
from pydantic import AfterValidator, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.config.base import ConfigError, http_url, matching, wording
from bot.identities import InvalidPhoneError, normalize_phone
from stores.urls import check_redis_url

DEFAULT_WHATSAPP_API_BASE = "https://graph.facebook.com/v21.0"
DEFAULT_TELEGRAM_API_BASE = "https://api.telegram.org"
WEBHOOK_PORTS = (None, 443, 80, 88, 8443)
"""The ports Telegram posts a webhook's updates to (None: https's own, 443)."""
DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"
MAX_SHARDS = 1024
"""SWITCHBOARD_SHARDS at most. Each shard is two streams and a lease, set up at start, and
two blocking reads (two of its 128 Redis connections) in the process working it, which
works 48 at most: 1,024 are work for 22 processes or more. A million made the start run away."""
MIN_LINK_SECRET = 16
"""Characters of SWITCHBOARD_LINK_SECRET, the key tracked links are signed with, of
SWITCHBOARD_VISITOR_SECRET, and of SWITCHBOARD_ADMIN_TOKEN, at the least."""
SECRETS = frozenset(
    {
        "SWITCHBOARD_LINK_SECRET",
        "SWITCHBOARD_VISITOR_SECRET",
        "SWITCHBOARD_ADMIN_TOKEN",
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "TWILIO_AUTH_TOKEN",
    }
)
"""Variables whose values an error never shows."""
_HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def _port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError("must be between 1 and 65535")
    return port


def _host(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if re.fullmatch(r"[0-9.]+", host) or not _HOSTNAME.fullmatch(host) or len(host) > 253:
            raise ValueError("must be an IP address or a hostname") from None
    return host


def _redis_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL"
        raise ValueError("must close its IPv6 host's [ with ]") from None
    if parts.scheme not in ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster"):
        raise ValueError(
            "must be a redis://, rediss://, unix://, redis+cluster:// or rediss+cluster:// URL"
        )
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("must have a port between 1 and 65535")
    database = parts.path.strip("/")
    if parts.scheme in ("redis", "rediss") and database and not database.isdigit():
        # redis-py would take "/abc" for database 0, and serve another one's data
        raise ValueError("must name its database by number, like redis://127.0.0.1:6379/0")
    check_redis_url(url)
    return url


def _region(region: str) -> str:
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("must be a region code that phone numbers know, like GB or US")
    return region


SMS_SENDER = "the number in E.164 (+447700900999) or a Messaging Service SID (MG + 32 hex)"


def _sms_sender(sender: str) -> str:
    """A number as Twilio writes it in ``To``: ``+4407700900999`` (its trunk 0 kept) is
    ``+447700900999`` there, and would match no customer's message; and a Messaging
    Service's SID as Twilio writes it in ``MessagingServiceSid``, its hex in lowercase."""
    if sender.startswith("MG") and sender[2:] != sender[2:].lower():
        raise ValueError(f"must be the SID as Twilio writes it, MG{sender[2:].lower()}")
    if not sender.startswith("+"):
        return sender
    try:
        written = normalize_phone(sender, "").value
    except InvalidPhoneError:
        raise ValueError(f"must be {SMS_SENDER}: this is no country's number") from None
    if written != sender:
        raise ValueError(f"must be the number as Twilio writes it in To, {written}")
    return sender


def _base_url(url: str) -> str:
    """The address every webhook, link and file URL is made from by adding a path: a query,
    a fragment or a user would land in the middle of each (and a password in every link a
    customer gets)."""
    parts = urlsplit(url)
    if parts.query or parts.fragment or "?" in url or "#" in url or "@" in parts.netloc:
        raise ValueError(
            "must be the bot's public address with no query, fragment, user or password, "
            "like https://bot.example.com or https://example.com/switchboard"
        )
    return url


def _link_secret(secret: str) -> str:
    if secret and len(secret) < MIN_LINK_SECRET:
        raise ValueError(f"must be at least {MIN_LINK_SECRET} characters long")
    return secret


def _one_word(secret: str) -> str:
    """A token or secret as a provider gives it: a space or a line break in it (a file
    read with its newline) would fail every call or every signature, later."""
    if any(c.isspace() or not c.isprintable() for c in secret):
        raise ValueError("holds a space, a line break or a control character: set it without")
    return secret


Secret = Annotated[str, AfterValidator(_one_word)]
"""A token or secret that goes in a header or a signature as it is."""

_BOT_TOKEN = r"([0-9]{3,20}:[A-Za-z0-9_-]{20,})?"
"""A BotFather token: ``<bot id>:<35 characters>``; empty when Telegram is off."""


class Environment(BaseSettings):
    """The variables, each checked; a channel is off while its variables are unset."""

    model_config = SettingsConfigDict(
        case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True
    )

    REDIS_URL: Annotated[str, AfterValidator(_redis_url)] | None = None
    HOST: Annotated[str, AfterValidator(_host)] = "127.0.0.1"
    PORT: Annotated[int, AfterValidator(_port)] = 8080
    PUBLIC_URL: Annotated[str, AfterValidator(http_url), AfterValidator(_base_url)] | None = None
    DEFAULT_REGION: Annotated[str, AfterValidator(_region)] = "GB"
    SWITCHBOARD_CONFIG: str | None = None
    SWITCHBOARD_KEY_PREFIX: str = "sb:"
    SWITCHBOARD_SHARDS: int = Field(default=8, ge=1, le=MAX_SHARDS)
    SWITCHBOARD_ADMIN_TOKEN: Annotated[Secret, AfterValidator(_link_secret)] = ""
    """Attaches services, which then get every customer's messages: never one to guess."""
    SWITCHBOARD_LINK_SECRET: Annotated[str, AfterValidator(_link_secret)] = ""
    SWITCHBOARD_VISITOR_SECRET: Annotated[str, AfterValidator(_link_secret)] = ""
    """Signs the visitor ids a site gives the widget (``visitor_hash``); unset, any id is
    taken."""
    SWITCHBOARD_LOOP: Literal["uvloop", "asyncio"] | None = None
    """The event loop of ``serve``: uvloop when unset and it is installed."""

    WHATSAPP_PHONE_NUMBER_ID: Annotated[
        str, matching(r"([0-9]{1,32})?", "the digits of Meta's phone number id")
    ] = ""
    WHATSAPP_ACCESS_TOKEN: Secret = ""
    WHATSAPP_APP_SECRET: Secret = ""
    WHATSAPP_VERIFY_TOKEN: Secret = ""
    WHATSAPP_API_BASE: Annotated[str, AfterValidator(http_url)] = DEFAULT_WHATSAPP_API_BASE
    WHATSAPP_MESSAGES_PER_SECOND: float = Field(default=80.0, gt=0)
    """The number's throughput tier (CH-6): 80 by default, up to 1,000 when upgraded."""

    TELEGRAM_BOT_TOKEN: Annotated[str, matching(_BOT_TOKEN, "a bot token (123456:ABC-...)")] = ""
    TELEGRAM_MODE: Literal["polling", "webhook"] = "polling"
    TELEGRAM_WEBHOOK_SECRET: Annotated[
        str, matching(r"([A-Za-z0-9_-]{16,256})?", "16 to 256 of A-Z a-z 0-9 _ -")
    ] = ""
    TELEGRAM_FRAMEWORK: Literal["aiogram", "ptb"] = "aiogram"
    TELEGRAM_TEAM_CHAT_ID: Annotated[
        str, matching(r"(-?[0-9]{1,20})?", "a chat id, e.g. -1001234567890")
    ] = ""
    TELEGRAM_API_BASE: Annotated[str, AfterValidator(http_url)] = DEFAULT_TELEGRAM_API_BASE

    TWILIO_ACCOUNT_SID: Secret = ""
    TWILIO_AUTH_TOKEN: Secret = ""
    SMS_FROM: Annotated[
        str,
        matching(r"(\+[1-9][0-9]{6,14}|MG[0-9a-fA-F]{32})?", SMS_SENDER),
        AfterValidator(_sms_sender),
    ] = ""
    """Twilio writes ``To`` in E.164 (or names the Messaging Service): any other form would
    match no customer's message, and each would be dropped."""
    TWILIO_API_BASE: Annotated[str, AfterValidator(http_url)] = DEFAULT_TWILIO_API_BASE

    @model_validator(mode="after")
    def _channels_whole(self) -> Environment:
        """A channel is configured whole or not at all."""
        for channel, needed in _CHANNELS.items():
            given = [name for name in needed if getattr(self, name)]
            if given and len(given) < len(needed):
                missing = ", ".join(name for name in needed if name not in given)
                raise ValueError(f"{channel} is half configured: set {missing} or unset the others")
        others = ("TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_TEAM_CHAT_ID")
        if not self.TELEGRAM_BOT_TOKEN and any(getattr(self, name) for name in others):
            raise ValueError("Telegram is half configured: set TELEGRAM_BOT_TOKEN")
        if self.TELEGRAM_MODE == "webhook" and not self.TELEGRAM_WEBHOOK_SECRET:
            raise ValueError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET")
        # Telegram posts only to https, on a few ports, and never to where the bot listens
        # (127.0.0.1:8080); a Bot API server of one's own may do all three.
        public = urlsplit(self.PUBLIC_URL or "")
        https = public.scheme == "https"
        telegrams = self.TELEGRAM_API_BASE.rstrip("/") == DEFAULT_TELEGRAM_API_BASE
        if self.TELEGRAM_MODE == "webhook" and telegrams and not https:
            raise ValueError(
                "TELEGRAM_MODE=webhook needs PUBLIC_URL, the https address Telegram posts "
                "updates to ({PUBLIC_URL}/webhooks/telegram)"
            )
        if self.TELEGRAM_MODE == "webhook" and telegrams and public.port not in WEBHOOK_PORTS:
            raise ValueError(
                f"TELEGRAM_MODE=webhook: Telegram posts updates to PUBLIC_URL on port 443, 80, "
                f"88 or 8443 only, not {public.port}"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what ``read_environment`` was given: a test's mapping is the whole world.
        return (init_settings,)


class _Variables(EnvSettingsSource):
    """pydantic-settings' reading of environment variables, from a given mapping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(Environment)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name: value for name, value in self._given.items() if value != ""}


_CHANNELS = {
    "WhatsApp": (
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
    ),
    "SMS": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SMS_FROM"),
}


def read_environment(env: Mapping[str, str]) -> Environment:
    """The environment's variables, checked; ConfigError has a line per bad variable."""
    try:
        return Environment(**_Variables(env)())
    except ValidationError as error:
        lines = []
        for item in error.errors(include_url=False):
            if not item["loc"]:  # a channel that is half configured
                lines.append(wording(item))
                continue
            name = str(item["loc"][0])
            message = wording(item, shown=False).split(" (got ")[0]  # the value is shown here
            shown = name if name in SECRETS else f"{name}={masked(env.get(name, ''))}"
            lines.append(f"{shown}: {message}")
        raise ConfigError(*lines) from None


def masked(url: str) -> str:
    """``url`` with any password in it (before the host, or ``?password=``) replaced by
    ***."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a [ without its ]: all before the host goes, the user's name too
        scheme, sep, rest = url.partition("://")
        _, at, host = rest.rpartition("@")
        return f"{scheme}{sep}***@{host}" if at else url
    query = _QUERY_PASSWORD.sub(r"\1***", parts.query)
    if not parts.password and query == parts.query:
        return url
    if parts.password:
        user = f"{parts.username}:" if parts.username else ":"
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{user}***@{host}")
    return parts._replace(query=query).geturl()


_QUERY_PASSWORD = re.compile(r"((?:^|&)password=)[^&]*", re.IGNORECASE)
