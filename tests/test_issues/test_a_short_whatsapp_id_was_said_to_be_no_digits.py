"""``GET /v1/profiles/wa:999`` answered "'999' is not a WhatsApp id (digits)", though 999 is
all digits: a WhatsApp id is 5 to 20 of them, and the error says so."""

from __future__ import annotations

import pytest

from bot.identities import InvalidIdentityError, parse_identity


@pytest.mark.parametrize("given", ["wa:999", "wa:" + "1" * 21, "wa:12a45"])
def test_the_refusal_says_how_many_digits(given: str) -> None:
    with pytest.raises(InvalidIdentityError, match="5 to 20 digits"):
        parse_identity(given, "GB")
