"""Identities (PS-1): phones in E.164 with WhatsApp's country quirks, typed identities,
and the values that never join a profile."""

from __future__ import annotations

import pytest

from bot.identities import (
    InvalidIdentityError,
    InvalidPhoneError,
    identities_of,
    normalize_phone,
    parse_identity,
    phone_of_whatsapp_id,
)
from bot.model import Identity, Inbound, MergePolicy


@pytest.mark.parametrize(
    ("raw", "region"),
    [("+44 7700 900123", ""), ("07700 900123", "GB"), ("+44 (0)7700-900123", "US")],
)
def test_one_uk_mobile_written_three_ways_is_one_phone(raw: str, region: str) -> None:
    assert normalize_phone(raw, region) == Identity("phone", "+447700900123")
    assert phone_of_whatsapp_id("447700900123") == Identity("phone", "+447700900123")


@pytest.mark.parametrize(
    ("wa_id", "phone", "typed"),
    [
        # Mexico: WhatsApp ids keep the mobile "1" that E.164 dropped in 2019.
        ("5215512345678", "+525512345678", "+52 55 1234 5678"),
        ("5215512345678", "+525512345678", "+52 1 55 1234 5678"),
        # Brazil: ids of older accounts lack the ninth digit of a mobile.
        ("553188887777", "+5531988887777", "+55 31 98888-7777"),
        ("5531988887777", "+5531988887777", "+55 31 8888-7777"),
        # Argentina: mobiles are +54 9; typed at home with the 15 prefix.
        ("5491112345678", "+5491112345678", "011 15 1234-5678"),
        ("541112345678", "+5491112345678", "+54 9 11 1234-5678"),
    ],
)
def test_whatsapp_country_quirks(wa_id: str, phone: str, typed: str) -> None:
    assert phone_of_whatsapp_id(wa_id).value == phone
    assert normalize_phone(typed, "AR").value == phone


def test_a_brazilian_landline_gets_no_ninth_digit() -> None:
    assert normalize_phone("+55 11 3333-4444", "").value == "+551133334444"


def test_the_whatsapp_id_stays_an_identity_beside_its_phone() -> None:
    message = Inbound(
        channel="whatsapp",
        number="wa:1",
        provider_id="wamid.1",
        sender=Identity("wa", "5215512345678"),
        kind="text",
        timestamp=0,
    )
    assert identities_of(message, "GB") == (
        Identity("wa", "5215512345678"),
        Identity("phone", "+525512345678"),
    )


@pytest.mark.parametrize("raw", ["12", "not a phone", "+", "+999 123", "0" * 70, "+44 77"])
def test_unparsable_numbers_are_a_clear_error(raw: str) -> None:
    with pytest.raises(InvalidPhoneError, match="phone"):
        normalize_phone(raw, "GB")


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("phone:07700 900123", "phone:+447700900123"),
        ("+44 7700 900123", "phone:+447700900123"),
        ("Ann@Example.COM", "email:ann@example.com"),
        ("email:ann.b+crm@example.co.uk", "email:ann.b+crm@example.co.uk"),
        ("wa:+447700900123", "wa:447700900123"),
        ("tg:123456", "tg:123456"),
        ("ext:crm-42", "ext:crm-42"),
        ("vid:Zx_9-a", "vid:Zx_9-a"),
    ],
)
def test_typed_identities_are_normalized(typed: str, key: str) -> None:
    assert parse_identity(typed, "GB").key == key


@pytest.mark.parametrize(
    "typed",
    [
        "fax:123",
        "tg:abc",
        "wa:12ab",
        "email:<script>@x.com",
        "email:ann@",
        "ext:" + "x" * 300,
        "vid:has space",
        "ext:\x00",
        "",
        "hello",
    ],
)
def test_unreadable_identities_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_identity(typed, "GB")
    with pytest.raises((InvalidIdentityError, InvalidPhoneError)):
        parse_identity(typed, "GB")


def test_placeholders_and_configured_values_are_blocked() -> None:
    policy = MergePolicy(blocked=frozenset({"phone:+442079460000"}))
    for value in ("null", "NULL", "anonymous", "0", "000", "0-0-0", "undefined", "none"):
        assert policy.is_blocked(Identity("ext", value)), value
    assert policy.is_blocked(Identity("phone", "+442079460000"))
    assert not policy.is_blocked(Identity("phone", "+447700900123"))
    assert not policy.is_blocked(Identity("ext", "0042"))
