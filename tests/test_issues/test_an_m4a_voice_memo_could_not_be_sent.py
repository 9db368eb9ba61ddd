"""A browser calls an .m4a voice memo ``audio/x-m4a`` (Chromium does), and the web chat's
file picker offered every ``audio/*``: the upload was a 415 though its bytes are
``audio/mp4``, which every channel takes, and .wav or .flac were offered only to be
refused. Common aliases are taken as their type, and the picker offers what is taken."""

from __future__ import annotations

import re

from adapters import webchat
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_media import upload

M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isommp42" + b"\x00" * 64


async def test_an_alias_of_a_type_is_taken_as_the_type(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for alias in ("audio/x-m4a", "audio/m4a", "AUDIO/X-M4A; codecs=mp4a"):
        answer = await upload(shared, "support", M4A, alias)
        assert answer.status == 201, (alias, answer.json)
        record = await shared.bot.runtime.media.record(answer.json["media"]["id"])
        assert record is not None and record.content_type == "audio/mp4"


def test_the_picker_offers_no_audio_the_store_refuses() -> None:
    found = re.search(r'id="file"[^>]*accept="([^"]+)"', webchat.page())
    assert found is not None
    accept = found.group(1)
    assert "audio/*" not in accept.split(",")
    assert {"audio/mp4", ".m4a", "audio/mpeg", "audio/ogg"} <= set(accept.split(","))
