"""An email address with a letter built of a base and a combining mark was refused.

As a CRM saw it: a contact exported by a Mac (``jose`` and a combining acute accent, the
decomposed ``jos\u00e9@example.com``), or with an address in Devanagari, whose vowel signs
are combining marks (``\u0928\u092e\u0938\u094d\u0924\u0947@example.com``, or a domain
under ``.\u092d\u093e\u0930\u0924``), was rejected by the import as "not an email
address", and ``GET /v1/profiles/email:...`` answered 400 for it. A lowercased dotted
capital I (``\u0130STANBUL@example.com``) was stored in a form no later lookup could read.
Such an address is an email now, in one form whichever way its letters were composed.
"""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.identities import parse_identity
from tests.test_import import contact, graph, run, write_csv

DECOMPOSED = "Jose\u0301@Example.com"
COMPOSED = "jos\u00e9@example.com"
NAMASTE = "\u0928\u092e\u0938\u094d\u0924\u0947"
DEVANAGARI = f"{NAMASTE}@{NAMASTE}.\u092d\u093e\u0930\u0924"


def test_the_two_forms_of_an_accent_are_one_identity() -> None:
    assert parse_identity(DECOMPOSED, "GB") == parse_identity(COMPOSED, "GB")
    assert parse_identity(DECOMPOSED, "GB").value == COMPOSED


def test_an_identity_as_stored_is_read_back_as_itself() -> None:
    for written in (DECOMPOSED, DEVANAGARI, "\u0130STANBUL@example.com"):
        stored = parse_identity(f"email:{written}", "GB")
        assert parse_identity(stored.key, "GB") == stored


def test_a_mark_that_follows_no_letter_is_still_no_email() -> None:
    for written in ("\u0301@example.com", "ann@\u0301example.com", "ann@example.\u0301com"):
        try:
            parse_identity(f"email:{written}", "GB")
        except ValueError:
            continue
        raise AssertionError(f"{written!r} was taken as an email")


async def test_the_import_stores_them_and_finds_them_by_the_other_form(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    rows = [
        contact(name="Jose", phone="+44 7700 900123", email=DECOMPOSED),
        contact(name="Nam", phone="+44 7700 900124", email=DEVANAGARI),
    ]
    summary = await run(store, write_csv(tmp_path / "contacts.csv", rows))
    assert (summary.created, summary.rejected) == (2, 0)
    jose = await store.lookup(parse_identity(f"email:{COMPOSED}", "GB"))
    assert jose and jose == await store.lookup(parse_identity("phone:+447700900123", "GB"))
    nam = await store.lookup(parse_identity(f"email:{DEVANAGARI}", "GB"))
    assert nam and nam == await store.lookup(parse_identity("phone:+447700900124", "GB"))
