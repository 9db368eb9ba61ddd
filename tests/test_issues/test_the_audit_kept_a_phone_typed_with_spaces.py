"""A phone typed with spaces (``+44 7911 123456``, with or without the marks a phone's
contacts add) where a command takes one word was refused with its usage, and the audit
trail kept it whole: each of its words has too few digits to be a phone by itself. The
words that are one phone together are kept as ``<identity>``."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import BotFactory
from tests.test_team_commands import ADMIN, AGENT, team


@pytest.mark.parametrize(
    "line",
    [
        "/optout +44 7911 123456",
        "/optout \u202a+44 7911 123456\u202c",
        "/claim +44 7911 123456",
        "/release \u202a+44 7911 123456\u202c",
        "/inbox +44 7911 123456",
        "/stats (0)7911 123 456",
    ],
)
async def test_a_phone_typed_with_spaces_is_kept_as_identity(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, line: str
) -> None:
    t = await team(make_bot)
    caplog.set_level(logging.INFO)
    caller = AGENT if line.startswith(("/claim", "/release")) else ADMIN
    assert await t.run(caller, line)
    trail = await t.desk.audit_trail(3)
    kept = json.dumps(trail, ensure_ascii=True) + json.dumps(trail) + caplog.text
    assert "<identity>" in kept
    for person in ("7911", "123456", "123 456"):
        assert person not in kept, kept
