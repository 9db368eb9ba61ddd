"""A phone or an identity typed right after the slash (``/+447700900333``,
``/phone:+447700900333``) is no command, and the audit trail and the log kept it as
typed: ``"command": "/+447700900333"``, ``refused: Unknown command /+447700900333``.
README: the trail keeps an identity as ``<identity>``. An unknown command's name is kept
only when it could be one."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.test_issues.test_the_audit_kept_an_identity_given_to_a_command_that_takes_none import (
    audited,
)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("/+447700900333", "447700900333"),
        ("/447700900333", "447700900333"),
        ("/phone:+447700900333", "447700900333"),
        ("/email:zed@example.com hello", "zed@"),
    ],
)
async def test_an_identity_typed_as_a_command_is_kept_as_identity(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, line: str, secret: str
) -> None:
    caplog.set_level(logging.INFO)
    entry = await audited(make_bot, line)
    assert entry["command"] == "/<identity>", entry
    assert entry["outcome"].startswith("refused: Unknown command /<identity>"), entry
    assert secret not in entry["outcome"] + entry["command"] + caplog.text


async def test_a_mistyped_command_stays_as_typed(make_bot: BotFactory) -> None:
    entry = await audited(make_bot, "/inbx 5")
    assert entry["command"].startswith("/inbx"), entry
