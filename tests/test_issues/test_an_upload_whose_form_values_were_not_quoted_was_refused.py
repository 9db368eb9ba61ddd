"""A multipart upload from .NET's HttpClient (``form-data; name=file; filename=a.png;
filename*=utf-8''a.png``: values as tokens, which RFC 7578 allows) was refused with 400 "no
part named 'file'"; an unquoted ``filename`` was dropped, and ``filename*`` ignored. Both
forms are read now, and ``filename*`` gives a name outside ASCII."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import call, shared_number

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
RESUME = "r\u00e9sum\u00e9.png"


@pytest.mark.parametrize(
    ("disposition", "kept_as"),
    [
        ("form-data; name=file; filename=a.png; filename*=utf-8''a.png", "a.png"),
        ('form-data; name=file; filename="a.png"', "a.png"),
        ('form-data; name="file"; filename=a.png', "a.png"),
        ("form-data;name=file;filename=a.png", "a.png"),
        ("form-data; name=file; filename*=UTF-8''r%C3%A9sum%C3%A9.png", RESUME),
        (  # .NET: a MIME encoded-word in filename, the real name in filename*
            'form-data; name=file; filename="=?utf-8?B?csOpc3Vtw6kucG5n?="; '
            "filename*=utf-8''r%C3%A9sum%C3%A9.png",
            RESUME,
        ),
        ('form-data; name="file"; filename="x; name=other.png"', "x; name=other.png"),
    ],
)
async def test_unquoted_and_extended_form_values_are_read(
    make_bot: BotFactory, disposition: str, kept_as: str
) -> None:
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
    assert answer.status == 201, answer.raw
    assert answer.json["media"]["filename"] == kept_as
