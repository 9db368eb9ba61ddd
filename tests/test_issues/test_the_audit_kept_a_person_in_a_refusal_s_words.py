"""The audit trail kept ``/profile <identity>`` in place of the identity typed, but the
refusal's words kept it whole: ``refused: no profile with email:zoe@example.com``, which
stayed after the person was erased. The outcome of a command that may name a person
keeps ``<identity>`` too, in the trail and in the log."""

from __future__ import annotations

import logging

import pytest

from handlers.commands import Caller
from tests.conftest import BotFactory

ADMIN = Caller("ann@example.com", "admin")
SECRET = "zoe.private@example.com"


@pytest.mark.parametrize("typed", [f"email:{SECRET}", SECRET.upper(), "07700900461"])
async def test_a_refused_lookup_keeps_no_identity(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, typed: str
) -> None:
    bot = await make_bot()
    caplog.set_level(logging.INFO)
    answer = await bot.runtime.commands.run(ADMIN, f"/profile {typed}")
    assert "no profile" in answer.lower(), answer
    (entry, *_) = await bot.runtime.desk.audit_trail()
    assert entry["command"] == "/profile <identity>"
    assert entry["outcome"].startswith("refused: ")
    kept = entry["outcome"] + caplog.text
    for secret in (SECRET, typed, "447700900461"):
        assert secret.lower() not in kept.lower()
