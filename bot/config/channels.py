"""The channels' settings, read from the environment (twelve-factor): each channel is
off when its variables are unset, and a half-configured one stops the start."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from bot.config.base import ConfigError, Path, Section, problems
from bot.config.environment import (
    DEFAULT_TELEGRAM_API_BASE,
    DEFAULT_TWILIO_API_BASE,
    DEFAULT_WHATSAPP_API_BASE,
    Environment,
)


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


def whatsapp_settings(env: Environment) -> WhatsAppSettings | None:
    if not env.WHATSAPP_PHONE_NUMBER_ID:
        return None
    return WhatsAppSettings(
        phone_number_id=env.WHATSAPP_PHONE_NUMBER_ID,
        access_token=env.WHATSAPP_ACCESS_TOKEN,
        app_secret=env.WHATSAPP_APP_SECRET,
        verify_token=env.WHATSAPP_VERIFY_TOKEN,
        api_base=env.WHATSAPP_API_BASE.rstrip("/"),
        messages_per_second=env.WHATSAPP_MESSAGES_PER_SECOND,
    )


def telegram_settings(env: Environment) -> TelegramSettings | None:
    if not env.TELEGRAM_BOT_TOKEN:
        return None
    return TelegramSettings(
        token=env.TELEGRAM_BOT_TOKEN,
        api_base=env.TELEGRAM_API_BASE.rstrip("/"),
        mode=env.TELEGRAM_MODE,
        webhook_secret=env.TELEGRAM_WEBHOOK_SECRET,
        framework=env.TELEGRAM_FRAMEWORK,
        team_chat_id=env.TELEGRAM_TEAM_CHAT_ID,
    )


def sms_settings(env: Environment) -> SMSSettings | None:
    if not env.TWILIO_ACCOUNT_SID:
        return None
    return SMSSettings(
        env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN, env.SMS_FROM, env.TWILIO_API_BASE.rstrip("/")
    )


KEYWORD_CHANNELS = ("sms", "whatsapp", "web")
KEYWORD_KINDS = ("stop", "start", "help")
_KEYWORD = re.compile(r"[A-Z0-9][A-Z0-9 \-]{0,63}")


def _keyword(word: str) -> str:
    normal = " ".join(word.split()).upper()
    if not normal.isascii() or not _KEYWORD.fullmatch(normal):
        raise ValueError(f"{word!r} is not a keyword (A-Z, 0-9)")
    return normal


Keyword = Annotated[str, AfterValidator(_keyword)]


class ChannelKeywordsFile(Section):
    """One channel's words; a list given replaces that channel's default words of its kind."""

    stop: list[Keyword] | None = None
    """Words that opt a customer out."""
    start: list[Keyword] | None = None
    """Words that opt a customer back in."""
    help: list[Keyword] | None = None
    """Words that ask for help; always answered."""

    @model_validator(mode="after")
    def _one_kind_each(self) -> ChannelKeywordsFile:
        seen: dict[str, str] = {}
        for kind in KEYWORD_KINDS:
            for word in getattr(self, kind) or ():
                if seen.setdefault(word, kind) != kind:
                    raise ValueError(f"{word!r} is both {seen[word]} and {kind}")
        return self


class SMSKeywordsFile(ChannelKeywordsFile):
    """SMS's words, and the answer to its help words: carriers expect your program's name
    and how to reach you in it."""

    help_reply: str | None = Field(default=None, min_length=1, max_length=1600)
    """What a customer's HELP gets by SMS (at most 1,600 characters, an SMS's limit)."""

    @field_validator("help_reply")
    @classmethod
    def _some_words(cls, reply: str | None) -> str | None:
        if reply is not None and not reply.strip():
            raise ValueError("the help reply is blank")
        return reply


class KeywordsFile(Section):
    """``keywords: {sms: {stop: [STOP, OPTOUT], start: [START], help: [HELP]}, whatsapp:
    {...}, web: {...}}``: the words that opt a customer out, back in, or ask for help, per channel;
    matched as the whole message, whatever its case and spacing."""

    sms: SMSKeywordsFile | None = None
    whatsapp: ChannelKeywordsFile | None = None
    web: ChannelKeywordsFile | None = None


def keyword_settings(
    section: Any, root: Path = ("keywords",)
) -> dict[str, dict[str, tuple[str, ...]]]:
    """The ``keywords`` section; ConfigError if it is bad."""
    try:
        return keywords_from(KeywordsFile.model_validate(section))
    except ValidationError as error:
        raise ConfigError(*problems(error, KeywordsFile, root=root)) from None


def keywords_from(written: KeywordsFile) -> dict[str, dict[str, tuple[str, ...]]]:
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for channel in KEYWORD_CHANNELS:
        words = getattr(written, channel)
        if words is not None:
            found[channel] = {
                kind: tuple(getattr(words, kind))
                for kind in KEYWORD_KINDS
                if getattr(words, kind) is not None
            }
    return found
