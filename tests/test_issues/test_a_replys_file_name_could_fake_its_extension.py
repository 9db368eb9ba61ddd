"""``POST /v1/media`` refused the file name ``evil`` + U+202E + ``gnp.exe``, which shows as
``evilexe.png``; a reply by URL took the same name (and ``a/b.pdf``, and line breaks)
and sent it to the customer as it was. A reply's file name is held to an upload's rules
now: no slashes, quotes, controls or direction marks, a 400 and nothing sent."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number


@pytest.mark.parametrize(
    "filename", ["evil\u202egnp.exe", "a/b.pdf", "a\\b.pdf", "two\nlines.pdf", 'say "hi".pdf']
)
async def test_a_file_name_that_lies_is_refused(make_bot: BotFactory, filename: str) -> None:
    shared = await shared_number(make_bot)
    media = {"type": "document", "url": "https://files.example.com/a.pdf", "filename": filename}
    answer = await shared.call("support", "POST", shared.path("messages"), {"media": media})
    assert answer.status == 400, answer.raw
    assert "filename" in answer.error
    await shared.bot.settle()
    assert [m for m in shared.graph.sent if m.type == "document"] == []


async def test_a_plain_name_goes(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    media = {
        "type": "document",
        "url": "https://files.example.com/a.pdf",
        "filename": "Faktura №7.pdf",
    }
    answer = await shared.call("support", "POST", shared.path("messages"), {"media": media})
    assert answer.status == 201, answer.raw
