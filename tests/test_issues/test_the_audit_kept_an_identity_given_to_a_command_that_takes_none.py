"""An identity typed into a command that takes no person (``/optout phone:+44…``, where a
conversation id is asked for) was kept as typed in the audit trail and the log: only the
commands that may name a person took identities out."""

from __future__ import annotations

import logging

import pytest

from handlers.commands import Caller
from tests.conftest import BotFactory

ADMIN = Caller("ann@example.com", "admin")


async def audited(make_bot: BotFactory, line: str) -> dict[str, str]:
    """What the audit trail keeps of ``line``, run by an admin on a new bot."""
    bot = await make_bot()
    await bot.runtime.commands.run(ADMIN, line)
    (entry, *_) = await bot.runtime.desk.audit_trail()
    return entry


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("/optout phone:+447700900777", "+447700900777"),
        ("/sequences enrol welcome phone:+447700900777", "+447700900777"),
        ("/note email:zed@example.com", "zed@example.com"),
    ],
)
async def test_an_identity_in_any_command_is_kept_as_identity(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, line: str, secret: str
) -> None:
    caplog.set_level(logging.INFO)
    entry = await audited(make_bot, line)
    assert "<identity>" in entry["command"], entry
    assert secret not in entry["outcome"] + entry["command"] + caplog.text


async def test_a_business_number_stays_in_the_audit(make_bot: BotFactory) -> None:
    entry = await audited(make_bot, "/detach nobody wa:106540352242922")
    assert "wa:106540352242922" in entry["command"], entry


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("/optout +447700900777", "447700900777"),
        ("/optout ann.customer@example.com", "ann.customer@example.com"),
        ("/optout wa:447700900777", "447700900777"),
        ("/note wa:447700900777 hi there", "447700900777"),
        ("/notify recipients +447700900777", "447700900777"),
    ],
)
async def test_a_bare_phone_email_or_customer_id_is_kept_as_identity(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, line: str, secret: str
) -> None:
    caplog.set_level(logging.INFO)
    entry = await audited(make_bot, line)
    assert secret not in entry["outcome"] + entry["command"] + caplog.text, entry


async def test_a_team_members_email_stays_in_the_audit(make_bot: BotFactory) -> None:
    entry = await audited(make_bot, "/role bob@example.com agent")
    assert "bob@example.com" in entry["command"], entry
