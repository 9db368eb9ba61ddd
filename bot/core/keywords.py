"""The words that opt a customer out or back in, or ask for help, on each channel
(AU-4, CH-4): STOP and UNSUBSCRIBE (and the like) on WhatsApp, carriers' keywords on SMS,
/stop on Telegram, the chat words in the web chat; the config file's ``keywords`` replaces a
channel's words of a kind."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, cast

from adapters import sms
from bot.model import Inbound

Keyword = Literal["stop", "start", "help"]

DEFAULT_SMS_HELP = (
    "Reply STOP to stop messages, START to get them again. Msg & data rates may apply."
)
_CHAT_KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "OPTOUT", "OPT OUT", "OPT-OUT", "REVOKE"),
        "stop",
    ),
    "START": "start",
    "UNSTOP": "start",
}
_TELEGRAM_COMMANDS: dict[str, Keyword] = {"/stop": "stop", "/start": "start"}
_DEEP_LINK_START = re.compile(r"/start [A-Za-z0-9_-]{1,64}", re.IGNORECASE)
"""``/start`` with a deep link's parameter: up to 64 of A-Z, a-z, 0-9, _ and -."""
_NAMED_COMMAND = re.compile(r"/\w+@\w+(?=\s|$)")
"""A command that names a bot: the channel made one naming this bot the bare command."""
DEFAULT_KEYWORDS: dict[str, dict[str, Keyword]] = {
    "sms": dict(sms.KEYWORDS),
    "whatsapp": _CHAT_KEYWORDS,
    "web": _CHAT_KEYWORDS,
}
"""Channel -> word (upper case, single spaces) -> what it asks."""


def keyword_table(
    overrides: Mapping[str, Mapping[str, tuple[str, ...]]],
) -> dict[str, dict[str, Keyword]]:
    """The defaults with the config file's ``keywords``: a kind given for a channel
    replaces that channel's default words of the kind."""
    table = {channel: dict(words) for channel, words in DEFAULT_KEYWORDS.items()}
    for channel, kinds in overrides.items():
        words = table.setdefault(channel, {})
        for kind, given in kinds.items():
            for word in [w for w, k in words.items() if k == kind]:
                del words[word]
            words.update(dict.fromkeys(given, cast(Keyword, kind)))
    return table


def keyword_of(
    message: Inbound, table: Mapping[str, Mapping[str, Keyword]] = DEFAULT_KEYWORDS
) -> Keyword | None:
    """The keyword the whole message is, on its channel; None for anything else. A
    template's quick-reply button counts by its payload or its words (a marketing
    template's "Stop promotions" button answers STOP)."""
    if message.keyword in ("stop", "start", "help"):  # the provider's word for it
        return cast(Keyword, message.keyword)
    text = " ".join(message.text.split())
    if message.kind == "button" and message.provider_type == "button":
        words = table.get(message.channel, {})
        found = (words.get(sms.keyword_word(said)) for said in (message.payload, text))
        return next((keyword for keyword in found if keyword == "stop"), None)
    # An MMS's text counts as an SMS's does: carriers and Twilio match the words it carries.
    if (message.kind != "text" and message.provider_type != "mms") or not text:
        return None
    if message.channel == "telegram":
        # The channel made /stop@ThisBot /stop; /stop@AnotherBot is another bot's. A START
        # pressed under a t.me deep link sends "/start <its parameter>", past 64 characters
        # with a long parameter.
        if _DEEP_LINK_START.fullmatch(text):
            return "start"
        return _TELEGRAM_COMMANDS.get(text.lower())
    if len(text) > 64:
        return None
    # ASCII only: str.upper() maps the long s (U+017F) to "S", and carriers match plain letters.
    return table.get(message.channel, {}).get(sms.keyword_word(text))


def names_another_bot(message: Inbound) -> bool:
    """Whether ``message`` is a Telegram command for another bot (``/help@OtherBot``),
    which that bot answers, not this one's automation."""
    return message.channel == "telegram" and _NAMED_COMMAND.match(message.text) is not None
