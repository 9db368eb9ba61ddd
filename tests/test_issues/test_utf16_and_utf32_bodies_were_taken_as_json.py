"""Bodies in UTF-16 or UTF-32 were taken as JSON on the webhooks and the API (the
standard library's parser guesses the encoding), where JSON between systems is UTF-8
(RFC 8259): "a body that is not strict JSON gets 400". A UTF-8 byte order mark may lead,
as the RFC allows."""

from __future__ import annotations

import json

import pytest

from adapters import jsonbody
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_a_body_not_in_utf8_is_not_json(encoding: str) -> None:
    with pytest.raises(jsonbody.NotJSONError):
        jsonbody.loads(json.dumps({"text": "hé"}).encode(encoding))


def test_utf8_with_or_without_a_byte_order_mark_is_json() -> None:
    for encoding in ("utf-8", "utf-8-sig"):
        assert jsonbody.loads(json.dumps({"text": "hé"}).encode(encoding)) == {"text": "hé"}


async def test_a_signed_utf16_webhook_is_a_400(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(bot.phone_number_id, "447700900010", "hi")
    answer = await bot.post_whatsapp(json.dumps(payload).encode("utf-16"))
    assert answer.status == 400
    assert await bot.runtime.inbound_log.backlog() == 0
