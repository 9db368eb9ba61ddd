"""``ann.@x.com``, ``.ann@x.com`` and ``ann..lee@x.com`` were taken as email addresses (a
flow's email answer, an identity of the API), though no mail system delivers to them:
the name before the @ is words joined by single dots (RFC 5322's dot-atom)."""

from __future__ import annotations

import pytest

from bot.identities import InvalidIdentityError, normalize_identity
from tests.conftest import BotFactory
from tests.test_api import call, shared_number

BROKEN = ["ann.@x.com", ".ann@x.com", "ann..lee@x.com"]


@pytest.mark.parametrize("value", BROKEN)
def test_a_dot_at_either_end_or_twice_is_no_email(value: str) -> None:
    with pytest.raises(InvalidIdentityError):
        normalize_identity("email", value, "GB")


def test_dots_between_words_and_odd_characters_are_an_email() -> None:
    for value in ("ann.lee@x.com", "a.b.c+tag@x.co.uk", "o'neil@x.ie", "j_s@x.com"):
        assert normalize_identity("email", value, "GB").value == value


async def test_the_api_refuses_them(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for value in BROKEN:
        path = f"/v1/profiles?identity=email:{value}"
        answer = await call(shared.bot, shared.tokens["support"], "GET", path)
        assert answer.status == 400, (value, answer.raw)
