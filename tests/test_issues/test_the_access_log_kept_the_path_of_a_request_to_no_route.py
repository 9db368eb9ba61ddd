"""The access log kept the whole path of a request to no route.

As an operator saw it: ``GET /nonexistent/path/<a token>`` was logged with ``"route":
"unmatched"`` and ``"path": "/nonexistent/path/<a token>"``, where README says the line
names the route, never the path as sent, which may carry a token (an old webhook URL's,
say). The line says ``unmatched`` and nothing of the path.
"""

from __future__ import annotations

import logging
import secrets

import pytest

from tests.conftest import BotFactory


async def test_a_request_to_no_route_is_logged_without_its_path(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(services=())
    token = secrets.token_hex(16)
    caplog.set_level(logging.INFO, logger="switchboard.access")
    response = await bot.client.get(f"/hooks/old/{token}")
    assert response.status == 404
    (line,) = [r for r in caplog.records if r.name == "switchboard.access"]
    assert line.__dict__["route"] == "unmatched"
    assert token not in str(line.__dict__)
