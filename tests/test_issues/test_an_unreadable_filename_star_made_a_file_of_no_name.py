"""A multipart upload whose ``filename*`` could not be read (an unknown charset, bytes that
are no UTF-8 such as a lone surrogate's) and that gave no ``filename`` was kept with the
name ``""``: the customer got a document of no name, where any other name that cannot be
a file's is refused. It is refused too; with a ``filename`` beside it, that name is taken
(RFC 6266 4.3)."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import call, shared_number

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def _upload(make_bot: BotFactory, disposition: str) -> tuple[int, dict]:
    shared = await shared_number(make_bot)
    body = (
        b"--XyZ\r\nContent-Disposition: "
        + disposition.encode()
        + b"\r\nContent-Type: image/png\r\n\r\n"
        + PNG
        + b"\r\n--XyZ--\r\n"
    )
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    answer = await call(
        shared.bot, shared.tokens["sales"], "POST", "/v1/media", data=body, headers=headers
    )
    return answer.status, answer.json


@pytest.mark.parametrize(
    "extended", ["UTF-8''%ED%A0%80.png", "bogus''x.png", "UTF-8''%FF.png", "no-quotes.png"]
)
async def test_an_unreadable_filename_star_alone_is_refused(
    make_bot: BotFactory, extended: str
) -> None:
    status, body = await _upload(make_bot, f"form-data; name=file; filename*={extended}")
    assert status == 400
    assert "filename*" in body["error"]


async def test_an_unreadable_filename_star_gives_way_to_the_filename(
    make_bot: BotFactory,
) -> None:
    status, body = await _upload(
        make_bot, "form-data; name=file; filename=plain.png; filename*=bogus''x.png"
    )
    assert status == 201
    assert body["media"]["filename"] == "plain.png"
