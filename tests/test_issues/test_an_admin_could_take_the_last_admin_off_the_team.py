"""An admin could take the team's last admin off it, themselves included: ``/role
ann@example.com agent`` (or ``none``) was taken, and nobody in the team chat could run
``/role``, ``/attach`` or ``/detach`` any more; only the operator's command line could
undo it. The last admin's role is kept now, and the answer says to make another admin
first."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_commands import team_bot


@pytest.mark.parametrize("role", ["agent", "viewer", "none"])
async def test_the_last_admin_stays_until_there_is_another(make_bot: BotFactory, role: str) -> None:
    _, desk, commands = await team_bot(make_bot)
    ann = await desk.caller_for_telegram(1001)
    assert ann is not None and ann.role == "admin"
    refused = await commands.run(ann, f"/role ann@example.com {role}")
    assert "last admin" in refused and "another admin first" in refused, refused
    still = await desk.caller_for_telegram(1001)
    assert still is not None and still.role == "admin"

    await commands.run(ann, "/role bob@example.com admin")
    assert (await commands.run(ann, f"/role 1001 {role}")).startswith("ann@example.com is ")
    bob = await desk.caller_for_email("bob@example.com")
    assert bob is not None and bob.role == "admin"
    assert "last admin" in await commands.run(bob, "/role bob@example.com agent")
