"""``POST /v1/media`` with a multipart body cut short (no closing ``--boundary--``, as a
client that dies mid-upload leaves it) was answered 415 "type 'application/octet-stream'
is not taken", the part's bytes taken as the file without its Content-Type: the caller
looked for a wrong type, where its body was broken. It is a 400 saying so, and nothing is
kept."""

from __future__ import annotations

from tests.test_api import Shared
from tests.test_api_media import PNG, kept_files, shared, upload

__all__ = ["shared"]


async def test_a_body_without_its_closing_boundary_is_a_400(shared: Shared) -> None:
    for body in (
        b'--xx\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
        b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG[: len(PNG) // 2],
    ):
        answer = await upload(shared, "sales", body, "multipart/form-data; boundary=xx")
        assert answer.status == 400, answer.raw
        assert "ends before its closing --xx--" in answer.error
    assert await kept_files(shared) == []
    whole = (
        b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--xx--\r\n"
    )
    answer = await upload(shared, "sales", whole, "multipart/form-data; boundary=xx")
    assert answer.status == 201, answer.raw
