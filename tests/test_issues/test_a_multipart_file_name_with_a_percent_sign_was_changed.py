"""A file uploaded by a browser as ``a%2Fb.pdf`` was kept as ``b.pdf``, ``report%20v2.pdf``
as ``report v2.pdf``, and ``x%00.pdf`` was refused with 400: the multipart name was
percent-decoded whole, though a browser sends a ``%`` as it is and escapes only a quote
and line breaks. The name is kept as the browser gave it, as a raw upload's is."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import BotFactory
from tests.test_api import call, shared_number

PDF = b"%PDF-1.7\n" + bytes(64)


@pytest.mark.parametrize("name", ["a%2Fb.pdf", "report%20v2.pdf", "x%00.pdf", "100%.pdf"])
async def test_a_name_with_a_percent_sign_is_kept_as_sent(make_bot: BotFactory, name: str) -> None:
    shared = await shared_number(make_bot)
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="'
        + name.encode()
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + PDF
        + b"\r\n--XyZ--\r\n"
    )
    token = shared.tokens["sales"]
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    form = await call(shared.bot, token, "POST", "/v1/media", data=body, headers=headers)
    assert form.status == 201, form.raw
    as_pdf = {"Content-Type": "application/pdf"}
    path = f"/v1/media?filename={quote(name)}"
    raw = await call(shared.bot, token, "POST", path, data=PDF, headers=as_pdf)
    assert raw.status == 201, raw.raw
    assert form.json["media"]["filename"] == raw.json["media"]["filename"] == name
