"""The team chat cancels a notification (``/notify cancel <id>``) and so does the API
(``DELETE``), but the command line, which runs the same commands as the operator (OPS-1),
had no way to: a cron schedule made with ``admin notify --cron`` could not be ended from
it. ``admin notify-cancel ID`` cancels one."""

from __future__ import annotations

import time

from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_notifications import campaign, report, setup


async def test_the_operator_cancels_a_schedule_from_the_command_line(
    make_bot: BotFactory, prefix: str
) -> None:
    shared = await setup(make_bot)
    body = {"number": shared.number, "text": "x", "audience": {"topic": "offers"}}
    weekly = await campaign(shared, body | {"cron": "0 9 * * MON"})
    later = await campaign(shared, body | {"at": time.time() + 3600})
    env = environment(prefix)
    for nid in (weekly, later):
        code, out, err = await run_command(env, "admin", "notify-cancel", nid)
        assert (code, out.strip()) == (0, f"cancelled {nid}: no further runs"), err
        assert (await report(shared, nid))["status"] == "cancelled"
    code, _, _ = await run_command(env, "admin", "notify-cancel", weekly)
    assert code == 0  # as the API's DELETE: cancelled it stays
    stopped = await campaign(shared, body | {"at": time.time() + 3600})
    assert (await run_command(env, "admin", "notify-stop", stopped, "wrong", "day"))[0] == 0
    code, _, err = await run_command(env, "admin", "notify-cancel", stopped)
    assert code == 1 and "is stopped: there is nothing to cancel" in err, err
    code, _, err = await run_command(env, "admin", "notify-cancel", "ntf_nope")
    assert code == 1 and "Traceback" not in err and "ntf_nope" in err, err
    code, out, _ = await run_command(env, "admin", "notify-cancel", "--help")
    assert code == 0 and "admin notify-cancel ntf_0193ab" in out
