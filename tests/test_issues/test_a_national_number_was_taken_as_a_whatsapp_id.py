"""A service started a WhatsApp conversation with ``wa:07700908101``, the national form of
a customer who writes from 447700908101: the API made a second profile and conversation
for them, and queued the template to a number with no country code. A WhatsApp id starts
with its country code; one that starts with 0 is refused (400), and nothing is made."""

from __future__ import annotations

import pytest

from bot.identities import InvalidIdentityError, normalize_identity
from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number


@pytest.mark.parametrize("value", ["07911123456", "00447911123456", "+07911123456"])
def test_a_whatsapp_id_that_starts_with_0_is_refused(value: str) -> None:
    with pytest.raises(InvalidIdentityError, match="starts with the country code"):
        normalize_identity("wa", value, "GB")


async def test_the_api_refuses_a_national_number_as_a_whatsapp_id(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    national = "0" + WA_ID[2:]
    body = {
        "number": shared.number,
        "identity": f"wa:{national}",
        "template": {"name": "order_update", "language": "en"},
    }
    started = await shared.call("support", "POST", "/v1/conversations", body)
    assert started.status == 400, started.raw
    assert "country code" in started.error
    found = await shared.call("support", "GET", f"/v1/profiles/wa:{national}")
    assert found.status in (400, 404), found.raw
    profile = (await shared.call("support", "GET", f"/v1/profiles/wa:{WA_ID}")).json["profile"]
    assert len(profile["conversations"]) == 1
