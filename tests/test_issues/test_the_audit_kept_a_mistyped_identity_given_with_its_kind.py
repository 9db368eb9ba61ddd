"""An identity typed wrong with its kind (``email:ann.smith@@example.com``) was refused
with its value quoted alone (``'ann.smith@@example.com' is not an email address``), and
the audit trail and the log kept the value: only the whole ``kind:value`` was replaced."""

from __future__ import annotations

import logging

import pytest

from handlers.commands import Caller
from tests.conftest import BotFactory

ADMIN = Caller("ann@example.com", "admin")


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("/profile email:ann.smith@@example.com", "ann.smith@@example.com"),
        ("/merge phone:+4477009 tg:5002", "+4477009"),
        ("/profile email:" + "z" * 120 + "@@example.com", "z" * 40),
    ],
)
async def test_a_mistyped_identity_given_with_its_kind_is_kept_as_identity(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, line: str, secret: str
) -> None:
    bot = await make_bot()
    caplog.set_level(logging.INFO)
    answer = await bot.runtime.commands.run(ADMIN, line)
    assert secret[:40] in answer  # the one who typed it is told what was wrong
    (entry, *_) = await bot.runtime.desk.audit_trail()
    assert entry["outcome"].startswith("refused: '<identity>' is not")
    assert secret[:40] not in entry["outcome"] + entry["command"] + caplog.text
