"""A multipart upload to ``POST /v1/media`` (or ``/live/api/media``, an agent's live view)
of 16 MB of tiny form fields before its file (some 300,000 parts) was read part by part
on the event loop: each such request held up every webhook, socket and API call of the
process for about a second, and ten at once for ten. A form of more parts than any
client sends is refused with 400 before its parts are read; a form with a few fields
before its file is taken as before."""

from __future__ import annotations

import io

from tests.conftest import BotFactory
from tests.test_api import call, shared_number

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
FIELD = b'--XyZ\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n'
FILE = (
    b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
    b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--XyZ--\r\n"
)
HEADERS = {"Content-Type": "multipart/form-data; boundary=XyZ"}


async def test_a_form_of_too_many_parts_is_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["sales"]
    body = FIELD * (15 * 1024 * 1024 // len(FIELD)) + FILE
    sent = io.BytesIO(body)  # as a client streams it
    answer = await call(shared.bot, token, "POST", "/v1/media", data=sent, headers=HEADERS)
    assert answer.status == 400, answer.raw
    assert "more than 100 parts" in answer.error

    a_few = FIELD * 5 + FILE
    answer = await call(shared.bot, token, "POST", "/v1/media", data=a_few, headers=HEADERS)
    assert answer.status == 201, answer.raw
    assert answer.json["media"]["filename"] == "a.png"
