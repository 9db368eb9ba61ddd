"""An email on an international domain was two identities, by how its domain was written.

As a CRM saw it: a contact imported as ``Emoji@Bücher.DE`` was ``email:emoji@bücher.de``;
``GET /v1/profiles?identity=email:emoji@xn--bcher-kva.de`` (the same mailbox, its domain
in the ASCII of DNS, as many systems keep it) answered 404, and a merge by it found no
one. Both are one identity now.
"""

from __future__ import annotations

from bot.identities import parse_identity
from tests.conftest import BotFactory


def test_both_forms_are_one_identity() -> None:
    forms = ["email:Emoji@Bücher.DE", "email:emoji@xn--bcher-kva.de", "EMOJI@BÜCHER.de"]
    assert {parse_identity(form, "GB").key for form in forms} == {"email:emoji@bücher.de"}


async def test_a_profile_is_found_by_either(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("crm",))
    book = bot.runtime.profile_book
    profile = await bot.runtime.profiles.resolve(
        [parse_identity("email:Emoji@Bücher.DE", "GB")], channel="import"
    )
    assert await book.find("email:emoji@xn--bcher-kva.de") == profile
