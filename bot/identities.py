"""Identities a message reveals, phones in E.164, and the rules that keep bad values out."""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata

import idna
import phonenumbers
from phonenumbers import PhoneMetadata

from bot.model import Identity, Inbound

IDENTITY_KINDS = frozenset({"phone", "wa", "wauser", "tg", "email", "vid", "ext"})
_BUSINESS_SCOPED = re.compile(r"[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}")
"""WhatsApp's business-scoped user id (BSUID): a country, ``.ENT`` for a parent id, and up
to 128 letters and digits (``US.13491208655302741918``)."""
MAX_IDENTITY_LENGTH = 256
_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_EMAIL = re.compile(rf"(?=[^@]{{1,64}}@){_ATOM}(\.{_ATOM})*@[\w-]{{1,63}}(\.[\w-]{{1,63}})+")
"""An address: its name words joined by single dots (a dot-atom), at most 64 characters."""
_FIRST_DIGIT = re.compile(r"[+\uff0b\d]")
"""Where the library starts reading a phone number in a text: a plus or a digit."""
_LETTER = re.compile(r"[A-Za-z]")
_DIGITS = re.compile(r"[0-9]{5,20}")
_TELEGRAM_ID = re.compile(r"-?[0-9]{1,20}")
_OPAQUE = re.compile(r"[\x21-\x7e]{1,128}")
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_ODD_SPACE = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")


def visible(text: str) -> str:
    """``text`` without the invisible marks a copy from a web page or a phone's contacts
    brings along (direction marks, zero-width spaces, a soft hyphen), its other spaces
    (no-break, thin...) as plain ones."""
    return _ODD_SPACE.sub(" ", _INVISIBLE.sub("", text))


class InvalidPhoneError(ValueError):
    """A phone number that cannot be read as a number of any country."""


class InvalidIdentityError(ValueError):
    """An identity whose type is unknown or whose value cannot be one of that type."""


def _whatsapp_quirks(parsed: phonenumbers.PhoneNumber) -> None:
    """Bring the forms WhatsApp and old address books use to today's E.164, in place.

    - Mexico dropped the mobile ``1`` after +52 in 2019; WhatsApp ids still carry it.
    - Brazil added a ninth digit to mobiles (subscriber numbers starting 6-9); ids of
      older accounts come without it.
    - Argentina's mobiles are +54 9 ...; a WhatsApp id is always a mobile, so an id
      without the 9 gets it (national ``15`` forms are turned into 9 by phonenumbers).
    """
    national = str(parsed.national_number)
    if parsed.country_code == 52 and len(national) == 11 and national.startswith("1"):
        parsed.national_number = int(national[1:])
    elif parsed.country_code == 55 and len(national) == 10 and national[2] in "6789":
        parsed.national_number = int(national[:2] + "9" + national[2:])


def _of_the_countrys_shape(parsed: phonenumbers.PhoneNumber) -> bool:
    """Whether a number phonenumbers does not know as allocated is still a whole number of
    its country: a possible length for a full number (not one dialled locally), and the
    shape of the country's numbers (``general_desc``), which fragments, a trunk ``0`` left
    after the country code and all-zero placeholders do not have."""
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return False
    code = parsed.country_code or 0
    region = phonenumbers.region_code_for_country_code(code)
    if region == phonenumbers.UNKNOWN_REGION:
        return False
    if region == "001":  # non-geographic: +800, +882 ...
        metadata = PhoneMetadata.metadata_for_nongeo_region(code)
    else:
        metadata = PhoneMetadata.metadata_for_region(region)
    general = metadata.general_desc if metadata else None
    pattern = general.national_number_pattern if general else None
    national = phonenumbers.national_significant_number(parsed)
    return pattern is not None and re.fullmatch(pattern, national) is not None


@functools.lru_cache(maxsize=65536)
def normalize_phone(raw: str, region: str) -> Identity:
    """``phone:+E164`` for ``raw``; numbers without a country code are read in ``region``.

    Valid numbers are accepted, and possible ones of the country's shape too, not only
    those in today's allocated ranges: a number allocated after our copy of the metadata
    is still a customer's phone. Fragments and placeholders are InvalidPhoneError.
    """
    if len(raw) > 64:
        raise InvalidPhoneError("a phone number is at most 64 characters")
    try:
        parsed = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneError(f"{raw!r} is not a phone number: {_why(raw, error)}") from None
    if _letters_read_as_digits(raw, parsed, region):
        raise InvalidPhoneError(f"{raw!r} is not a phone number: letters are no digits")
    _whatsapp_quirks(parsed)
    if not (phonenumbers.is_valid_number(parsed) or _of_the_countrys_shape(parsed)):
        raise InvalidPhoneError(f"{raw!r} is not a possible phone number")
    return Identity(
        "phone", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    )


def _letters_read_as_digits(raw: str, parsed: phonenumbers.PhoneNumber, region: str) -> bool:
    """Whether the library read letters as a keypad's digits, as it does with three or more
    after the first digit (a vanity number: ``0800 FLOWERS``): "my order #123 is late"
    would be +44123475283. Read so, the letters turned into their digits read the same."""
    first = _FIRST_DIGIT.search(raw)
    if first is None or not _LETTER.search(raw, first.start()):
        return False
    keyed = raw[: first.start()] + phonenumbers.convert_alpha_characters_in_number(
        raw[first.start() :]
    )
    try:
        return phonenumbers.parse(keyed, region or None) == parsed
    except phonenumbers.NumberParseException:
        return False


_WHY = {
    phonenumbers.NumberParseException.NOT_A_NUMBER: "it holds no number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "it is too short",
    phonenumbers.NumberParseException.TOO_LONG: "it is too long",
}


def _why(raw: str, error: phonenumbers.NumberParseException) -> str:
    """What is wrong with ``raw``, in our words rather than the library's coded message."""
    if error.error_type != phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        return _WHY.get(error.error_type, "it cannot be read as one")
    if raw.strip().startswith("+"):
        return "no country has the code after its +"
    return "write it with + and its country code"


def phone_of_whatsapp_id(wa_id: str) -> Identity:
    """The E.164 phone behind a WhatsApp id (digits with the country code, no ``+``)."""
    identity = normalize_phone("+" + wa_id, "")
    if identity.value.startswith("+54") and not identity.value.startswith("+549"):
        identity = Identity("phone", "+549" + identity.value[3:])
    return identity


def phone_alias(phone: Identity) -> Identity | None:
    """The other form of an Argentine phone: ``+54 9 11 …`` (a mobile, as WhatsApp's ids
    and the customers' answers name it) for ``+54 11 …`` (as people write their mobile,
    and imports hold it), and back. Argentina numbers mobiles and fixed lines apart, so
    the two forms are one line. None for any other phone."""
    value = phone.value
    if phone.kind != "phone" or not value.startswith("+54") or len(value) < 8:
        return None
    return Identity("phone", "+54" + value[4:] if value.startswith("+549") else "+549" + value[3:])


def with_aliases(identities: list[Identity]) -> list[Identity]:
    """``identities`` and the other form of each Argentine phone among them."""
    found = list(identities)
    for identity in identities:
        if (alias := phone_alias(identity)) is not None:
            found.append(alias)
    return list(dict.fromkeys(found))


def with_whatsapp_forms(identities: list[Identity]) -> list[Identity]:
    """``identities`` and, for each phone among them, the WhatsApp id it writes from (its
    digits), and for each WhatsApp id the phone behind it: one line either way."""
    found = list(identities)
    for identity in identities:
        if identity.kind == "phone":
            found.append(Identity("wa", identity.value.lstrip("+")))
        elif identity.kind == "wa":
            with contextlib.suppress(InvalidPhoneError):  # an id that is no phone's
                found.append(phone_of_whatsapp_id(identity.value))
    return with_aliases(found)


def parse_identity(key: str, region: str) -> Identity:
    """An identity typed by a person or a service (``phone:07700 900123``), normalized.

    A bare value is read as a phone when it looks like one, and as an email when it
    has an ``@``. InvalidIdentityError (or InvalidPhoneError) says what is wrong.
    """
    key = visible(key).strip()
    kind, sep, value = key.partition(":")
    if not sep or kind not in IDENTITY_KINDS:
        if "@" in key:
            kind, value = "email", key
        elif re.fullmatch(r"[+0-9 ().-]{5,40}", key):
            kind, value = "phone", key
        else:
            raise InvalidIdentityError(
                f"{key[:80]!r} is not an identity: use type:value with a type of "
                + ", ".join(sorted(IDENTITY_KINDS))
            )
    return normalize_identity(kind, value, region)


def normalize_identity(kind: str, value: str, region: str) -> Identity:
    """``kind:value`` in its one canonical form; InvalidIdentityError when it cannot be.
    Invisible marks a copy and paste brings along are not part of it."""
    value = visible(value).strip()
    if not value or len(value) > MAX_IDENTITY_LENGTH:
        raise InvalidIdentityError(f"a {kind} identity needs 1 to 256 characters")
    if kind == "phone":
        # A "+" that came through a query string unencoded arrives as a space.
        return normalize_phone(value, region)
    if kind == "wa":
        digits = value.lstrip("+")
        if not _DIGITS.fullmatch(digits):
            raise InvalidIdentityError(f"{value[:40]!r} is not a WhatsApp id (5 to 20 digits)")
        if not is_whatsapp_id(digits):  # a national number's 0, or a code of no country
            raise InvalidIdentityError(
                f"{value[:40]!r} is not a WhatsApp id: it starts with the country code "
                "(447700900123)"
            )
        return Identity("wa", digits)
    if kind == "wauser":
        if not is_business_scoped_id(value):
            raise InvalidIdentityError(
                f"{value[:40]!r} is not a WhatsApp business-scoped user id (US.1349…)"
            )
        return Identity("wauser", value)
    if kind == "tg":
        if not _TELEGRAM_ID.fullmatch(value):
            raise InvalidIdentityError(f"{value[:40]!r} is not a Telegram id (digits)")
        return Identity("tg", str(int(value)))  # 00888001 is the user 888001
    if kind == "email":
        # One address typed on two keyboards is one code point sequence: "jos\u00e9",
        # not "jose" and a combining accent.
        value = unicodedata.normalize("NFC", value)
        if not _EMAIL.fullmatch(_without_marks(value)):
            raise InvalidIdentityError(f"{value[:80]!r} is not an email address")
        local, _, domain = value.rpartition("@")
        local = unicodedata.normalize("NFC", local.lower())
        return Identity("email", f"{local}@{_domain(domain)}")
    if kind in ("vid", "ext"):
        if not _OPAQUE.fullmatch(value):
            raise InvalidIdentityError(f"a {kind} is 1 to 128 printable ASCII characters")
        return Identity(kind, value)
    raise InvalidIdentityError(f"unknown identity type {kind!r}")


def _without_marks(text: str) -> str:
    """``text`` without the combining marks that follow a letter, which ``\\w`` does not
    match though they are part of its word: Devanagari's vowel signs
    (``\u0928\u092e\u0938\u094d\u0924\u0947``), an accent no letter of its own holds, the
    dot of a lowercased dotted capital I. A mark that begins a part is kept: no letter."""
    kept: list[str] = []
    for char in text:
        if kept and kept[-1] not in "@." and unicodedata.category(char).startswith("M"):
            continue
        kept.append(char)
    return "".join(kept)


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str:
    """An email's domain in one form: an international one as its letters, whether it
    was written so (``Bücher.DE``) or in the ASCII of DNS (``xn--bcher-kva.de``), by
    UTS 46 as browsers and mail servers read it; any other lowercased."""
    try:
        return str(idna.decode(idna.encode(domain, uts46=True)))
    except idna.IDNAError:
        return domain.lower()


def identities_of(message: Inbound, region: str) -> tuple[Identity, ...]:
    """The sender's identity first, then the ones derived from it (a WhatsApp id's phone)."""
    found = [message.sender]
    for identity in message.identities:
        if identity.kind == "phone":  # as the channel gave it (a shared contact)
            try:
                found.append(normalize_phone(identity.value, region))
            except InvalidPhoneError:
                pass  # an unreadable number stitches nothing
        else:
            found.append(identity)
    for identity in list(found):
        if identity.kind == "wa":
            try:
                found.append(phone_of_whatsapp_id(identity.value))
            except InvalidPhoneError:
                pass  # a WhatsApp id is still an identity when its digits are no phone
    return tuple(with_aliases(found))


def is_business_scoped_id(value: str) -> bool:
    """Whether ``value`` is a WhatsApp business-scoped user id (BSUID): what Meta names a
    customer by who hides their phone behind a username."""
    return bool(_BUSINESS_SCOPED.fullmatch(value))


def is_whatsapp_id(value: str) -> bool:
    """A WhatsApp id as Meta gives it: a phone number's 5 to 20 ASCII digits, no "+",
    beginning with a country's code (never a 0)."""
    return bool(_DIGITS.fullmatch(value)) and not value.startswith("0") and _names_a_country(value)


def _names_a_country(digits: str) -> bool:
    """Whether ``digits`` begin with a country calling code (+999 is nobody's): codes are
    1 to 3 digits, none the start of another, as the library reads them (a look-up, where
    parsing the whole number costs each inbound message some 14 µs)."""
    codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    return any(int(digits[:length]) in codes for length in (1, 2, 3))


def with_its_phone(named: list[Identity], customer: Identity) -> list[Identity]:
    """``named`` and the phone a WhatsApp ``customer`` id stands for: Argentina's mobiles
    are +54 9 ..., which the customer's answers will name, whichever form the service
    wrote to."""
    if customer.kind == "wa":
        with contextlib.suppress(InvalidPhoneError):  # an id that is no phone's
            named = [*named, phone_of_whatsapp_id(customer.value)]
    return with_aliases(named)


def person_email(value: str) -> str:
    """A team member's email as one compares it: lower case, its domain in the one form
    an international domain has (``münchen.de`` and ``xn--mnchen-3ya.de`` are one); as
    given, lower case, when it is no email."""
    try:
        return normalize_identity("email", value, "").value
    except InvalidIdentityError:
        return value.strip().lower()
