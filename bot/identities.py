"""Identities a message reveals: the channel's own id plus the E.164 phone behind it."""

from __future__ import annotations

import functools

import phonenumbers

from bot.model import Identity, Inbound


class InvalidPhoneError(ValueError):
    """A phone number that cannot be read as a valid number."""


@functools.lru_cache(maxsize=65536)
def normalize_phone(raw: str, region: str) -> Identity:
    """``phone:+E164`` for ``raw``; numbers without a country code are read in ``region``."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneError(f"{raw!r} is not a phone number: {error}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneError(f"{raw!r} is not a valid phone number")
    return Identity(
        "phone", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    )


def identities_of(message: Inbound, region: str) -> tuple[Identity, ...]:
    """The sender's identity first, then the ones derived from it (a WhatsApp id's phone)."""
    found = [message.sender, *(i for i in message.identities if i != message.sender)]
    if message.sender.kind == "wa":
        try:
            found.append(normalize_phone("+" + message.sender.value, region))
        except InvalidPhoneError:
            pass  # a WhatsApp id is still an identity when its digits are no valid phone
    return tuple(dict.fromkeys(found))
