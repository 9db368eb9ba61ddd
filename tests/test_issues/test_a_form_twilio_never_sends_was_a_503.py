"""The SMS webhook answered 503 ("retry later") to bodies that are not a form Twilio
sends: bytes that are not UTF-8, a charset nobody knows, a multipart body without its
boundary or with broken headers; each raised while the form was read. Each gets 400
and stores nothing, and the next text goes through."""

from __future__ import annotations

import pytest

from tests.test_sms_channel import SMSBot, sms_bot  # noqa: F401  (the fixture)

BROKEN = [
    ("application/x-www-form-urlencoded", b"Body=caf\xe9&From=%2B447700900123"),
    ("application/x-www-form-urlencoded; charset=bogus-charset", b"Body=hi"),
    ("application/x-www-form-urlencoded; charset=utf-16", b"\xff\xfe\x00garbage\x00"),
    ("multipart/form-data", b"--x\r\nbroken"),
    ("multipart/form-data; boundary=x", b"--x\r\nbroken\r\n\r\nhi\r\n--x--\r\n"),
]


@pytest.mark.parametrize(("content_type", "body"), BROKEN, ids=lambda value: str(value)[:30])
async def test_a_body_that_is_no_form_gets_400_and_the_next_text_goes_through(
    sms_bot: SMSBot,  # noqa: F811
    content_type: str,
    body: bytes,
) -> None:
    response = await sms_bot.bot.client.post(
        "/webhooks/sms",
        data=body,
        headers={"Content-Type": content_type, "X-Twilio-Signature": "x"},
    )
    assert response.status == 400, await response.text()
    assert "not a form" in (await response.json())["error"]
    assert await sms_bot.bot.runtime.inbound_log.backlog() == 0
    assert await sms_bot.text("hello") == 200
    assert await sms_bot.twilio.wait_for_sent(1)
