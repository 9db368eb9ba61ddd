"""A body that its ``Content-Encoding`` does not decode (``gzip`` over plain bytes) was
answered 503, "retry later", on every webhook and the API, and logged two tracebacks; a
route that does not read the body (``/healthz``, a refused webhook) logged one. Anyone
could fill the log without a credential. It is a 400 now, and one line of info; and since
bodies are never inflated, a compressed body is refused as such (415), with no trace."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/webhooks/whatsapp", 415),
        ("POST", "/t/events", 415),
        ("GET", "/healthz", 415),
    ],
)
async def test_an_undecodable_body_is_a_400_and_no_trace(
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    status: int,
) -> None:
    bot = await make_bot()
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    answer = await bot.client.request(method, path, data=b"0123456789", headers=headers)
    assert answer.status == status
    if status == 415:
        assert "Content-Encoding 'gzip' is not taken" in (await answer.json())["error"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Traceback" not in caplog.text
