"""A service attached with ``https://user:password@host/hook`` (its receiver behind basic
authentication) was posted every event without the credentials: each answered 401, and
the events went to the dead letters. They go as basic authentication, as every HTTP
client takes a URL's user and password."""

from __future__ import annotations

import base64

from adapters.keepalive import KeepAlivePoster
from tests.test_keepalive import OK, answering, raw_server


async def test_a_urls_user_and_password_go_as_basic_authentication() -> None:
    poster = KeepAlivePoster()
    try:
        async with raw_server(answering(OK)) as server:
            with_user = server.url.replace("http://", "http://hooks:p%40ss%3Aword@")
            answer = await poster.post(with_user, {"Content-Type": "text/plain"}, b"hi", 5)
            assert answer.status == 200
            bare = await poster.post(server.url, {"Content-Type": "text/plain"}, b"hi", 5)
            assert bare.status == 200
    finally:
        await poster.close()
    credentials = base64.b64encode(b"hooks:p@ss:word").decode()
    first, second = server.requests
    assert f"Authorization: Basic {credentials}\r\n".encode() in first
    assert b"Authorization" not in second
    assert b"p%40ss" not in first.split(b"\r\n")[0]  # the request line holds no password
