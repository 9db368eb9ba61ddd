"""The channels' settings, read from the environment (twelve-factor): each channel is
off when its variables are unset, and a half-configured one stops the start."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config.base import ConfigError

DEFAULT_WHATSAPP_API_BASE = "https://graph.facebook.com/v21.0"
DEFAULT_TELEGRAM_API_BASE = "https://api.telegram.org"
DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"


@dataclass(frozen=True, slots=True)
class WhatsAppSettings:
    """One WhatsApp Cloud API number."""

    phone_number_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    api_base: str = DEFAULT_WHATSAPP_API_BASE
    messages_per_second: float = 80.0
    """The number's throughput tier (CH-6): 80 by default, up to 1,000 when upgraded."""

    @property
    def number(self) -> str:
        return f"wa:{self.phone_number_id}"


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """One Telegram bot: polled by one process at a time, or fed by a webhook (CH-3)."""

    token: str = field(repr=False)
    api_base: str = DEFAULT_TELEGRAM_API_BASE
    mode: str = "polling"
    webhook_secret: str = field(default="", repr=False)
    framework: str = "aiogram"
    team_chat_id: str = ""
    """The team's group (or a member's private chat): a subscribed service (OPS-3)."""

    @property
    def bot_id(self) -> str:
        return self.token.partition(":")[0]

    @property
    def number(self) -> str:
        return f"tg:{self.bot_id}"


@dataclass(frozen=True, slots=True)
class SMSSettings:
    """One SMS sender on a Twilio-compatible API (CH-4)."""

    account_sid: str
    auth_token: str = field(repr=False)
    sender: str = ""
    """SMS_FROM: the number (E.164) or messaging service the customers write to."""
    api_base: str = DEFAULT_TWILIO_API_BASE

    @property
    def number(self) -> str:
        return f"sms:{self.sender}"


_WHATSAPP_VARS = {
    "phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
    "access_token": "WHATSAPP_ACCESS_TOKEN",
    "app_secret": "WHATSAPP_APP_SECRET",
    "verify_token": "WHATSAPP_VERIFY_TOKEN",
}


def whatsapp_settings(env: Mapping[str, str]) -> WhatsAppSettings | None:
    values = {name: env.get(var, "") for name, var in _WHATSAPP_VARS.items()}
    if not any(values.values()):
        return None
    missing = [_WHATSAPP_VARS[name] for name, value in values.items() if not value]
    if missing:
        raise ConfigError(
            "WhatsApp is half configured: set " + ", ".join(missing) + " or unset the others"
        )
    base = env.get("WHATSAPP_API_BASE") or DEFAULT_WHATSAPP_API_BASE
    try:
        rate = float(env.get("WHATSAPP_MESSAGES_PER_SECOND", "80"))
    except ValueError:
        raise ConfigError("WHATSAPP_MESSAGES_PER_SECOND must be a number") from None
    if rate <= 0:
        raise ConfigError("WHATSAPP_MESSAGES_PER_SECOND must be more than 0")
    return WhatsAppSettings(api_base=base.rstrip("/"), messages_per_second=rate, **values)


def telegram_settings(env: Mapping[str, str]) -> TelegramSettings | None:
    token = env.get("TELEGRAM_BOT_TOKEN", "")
    others = [
        var
        for var in ("TELEGRAM_MODE", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_TEAM_CHAT_ID")
        if env.get(var)
    ]
    if not token:
        if others:
            raise ConfigError(
                f"Telegram is half configured: set TELEGRAM_BOT_TOKEN or unset {', '.join(others)}"
            )
        return None
    if not re.fullmatch(r"[0-9]{3,20}:[A-Za-z0-9_-]{20,}", token):
        raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a bot token (123456:ABC-...)")
    mode = env.get("TELEGRAM_MODE", "polling")
    if mode not in ("polling", "webhook"):
        raise ConfigError("TELEGRAM_MODE is polling or webhook")
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "")
    if mode == "webhook" and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
        raise ConfigError(
            "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET: 16 to 256 of A-Z a-z 0-9 _ -"
        )
    framework = env.get("TELEGRAM_FRAMEWORK", "aiogram")
    if framework not in ("aiogram", "ptb"):
        raise ConfigError("TELEGRAM_FRAMEWORK is aiogram or ptb")
    team = env.get("TELEGRAM_TEAM_CHAT_ID", "")
    if team and not re.fullmatch(r"-?[0-9]{1,20}", team):
        raise ConfigError("TELEGRAM_TEAM_CHAT_ID is a chat id, e.g. -1001234567890")
    base = env.get("TELEGRAM_API_BASE") or DEFAULT_TELEGRAM_API_BASE
    return TelegramSettings(token, base.rstrip("/"), mode, secret, framework, team)


def sms_settings(env: Mapping[str, str]) -> SMSSettings | None:
    names = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SMS_FROM")
    values = [env.get(name, "") for name in names]
    if not any(values):
        return None
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ConfigError(
            "SMS is half configured: set " + ", ".join(missing) + " or unset the others"
        )
    base = env.get("TWILIO_API_BASE") or DEFAULT_TWILIO_API_BASE
    return SMSSettings(values[0], values[1], values[2], base.rstrip("/"))


KEYWORD_CHANNELS = ("sms", "whatsapp")
KEYWORD_KINDS = ("stop", "start", "help")
_KEYWORD = re.compile(r"[A-Z0-9][A-Z0-9 \-]{0,63}")


def keyword_settings(section: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    """``keywords: {sms: {stop: [STOP, OPTOUT], start: [START], help: [HELP]}, whatsapp:
    {...}}``: the words that opt a customer out, back in, or ask for help, per channel. A
    list given replaces that channel's default words of its kind; words are matched as
    the whole message, whatever its case and spacing."""
    if not isinstance(section, dict) or not set(section) <= set(KEYWORD_CHANNELS):
        raise ConfigError(f"keywords maps {' or '.join(KEYWORD_CHANNELS)} to their words")
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for channel, kinds in section.items():
        where = f"keywords.{channel}"
        if not isinstance(kinds, dict) or not set(kinds) <= set(KEYWORD_KINDS):
            raise ConfigError(f"{where} maps {', '.join(KEYWORD_KINDS)} to lists of words")
        found[channel] = {}
        seen: dict[str, str] = {}
        for kind, words in kinds.items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ConfigError(f"{where}.{kind} is a list of words")
            normal = tuple(" ".join(word.split()).upper() for word in words)
            for word in normal:
                if not word.isascii() or not _KEYWORD.fullmatch(word):
                    raise ConfigError(f"{where}.{kind}: {word!r} is not a keyword (A-Z, 0-9)")
                if seen.setdefault(word, kind) != kind:
                    raise ConfigError(f"{where}: {word!r} is both {seen[word]} and {kind}")
            found[channel][kind] = normal
    return found
