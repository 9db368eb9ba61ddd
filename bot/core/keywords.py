"""The words that opt a customer out or back in, or ask for help, on each channel
(AU-4, CH-4): STOP and UNSUBSCRIBE on WhatsApp, carriers' keywords on SMS, /stop on
Telegram."""

from __future__ import annotations

from typing import Literal

from adapters import sms
from bot.model import Inbound

Keyword = Literal["stop", "start", "help"]

DEFAULT_SMS_HELP = (
    "Reply STOP to stop messages, START to get them again. Msg & data rates may apply."
)
_CHAT_KEYWORDS: dict[str, Keyword] = {
    "STOP": "stop",
    "UNSUBSCRIBE": "stop",
    "START": "start",
    "UNSTOP": "start",
}
_TELEGRAM_COMMANDS: dict[str, Keyword] = {"/stop": "stop", "/start": "start"}


def keyword_of(message: Inbound) -> Keyword | None:
    """The keyword the whole message is, on its channel; None for anything else."""
    text = message.text.strip()
    if message.kind != "text" or not text or len(text) > 64:
        return None
    if message.channel == "sms":
        return sms.keyword(text)
    if message.channel == "telegram":
        command = text.split("@", 1)[0].lower()  # /stop@SwitchboardBot
        return _TELEGRAM_COMMANDS.get(command)
    return _CHAT_KEYWORDS.get(text.upper()) if text.isascii() else None
