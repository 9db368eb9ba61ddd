"""``admin dead-letters nosuch`` said "no dead letters of nosuch", and ``--replay`` that
none were queued again, both with exit status 0: a mistyped name read as "nothing
failed" and hid the dead letters of the service meant. A name that is no service is now
a usage error; a known service with none still says so."""

from __future__ import annotations

import pytest

from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment


@pytest.mark.parametrize("replay", [(), ("--replay",)], ids=["list", "replay"])
async def test_an_unknown_service_is_a_usage_error(
    make_bot: BotFactory, prefix: str, replay: tuple[str, ...]
) -> None:
    await make_bot(services=("support",))
    env = environment(prefix)
    code, out, err = await run_command(env, "admin", "dead-letters", "suport", *replay)
    assert (code, out) == (2, "")
    assert "no service named 'suport'" in err
    code, out, err = await run_command(env, "admin", "dead-letters", "support", *replay)
    assert code == 0, err
    assert "support" in out
