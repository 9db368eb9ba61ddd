"""``/notify`` and ``/stats`` for the team, and ``admin notify`` / ``notify-report`` /
``stats`` from the command line, with a progress bar while queueing."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from handlers.commands import OPERATOR, Caller
from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_notifications import Person, finished, seed, setup, until

NEXT_YEAR = datetime.now(UTC).year + 1
"""A new year's morning to come, whatever the year the test runs in."""
VIEWER = Caller("vic@example.com", "viewer")
AGENT = Caller("ann@example.com", "agent")


async def test_the_team_notifies_reads_the_report_and_cancels(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    commands = shared.bot.runtime.commands
    await seed(
        shared.bot.runtime,
        shared.number,
        [Person("447911950001", {"city": "Leeds"}, time.time() - 60)],
    )
    answer = await commands.run(AGENT, '/notify wa filter=city=Leeds "Leeds: 20% off today"')
    match = re.fullmatch(r"Sending (ntf_\w+) now\. /notify report \1 for its counts\.", answer)
    assert match, answer
    nid = match.group(1)
    await finished(shared, nid)
    assert [m.to for m in shared.graph.sent if m.text == "Leeds: 20% off today"] == ["447911950001"]
    report = await commands.run(AGENT, f"/notify report {nid}")
    assert report.startswith(f"{nid} ({shared.number}): sent\nrecipients 1: queued 1")
    assert "sent 1, delivered 0" in report

    later = await commands.run(
        AGENT, f"/notify wa topic=offers at={NEXT_YEAR}-01-01T09:00 Happy new year"
    )
    assert later == "Scheduled " + later.split()[1] + f" for {NEXT_YEAR}-01-01 09:00 UTC."
    scheduled = later.split()[1]
    assert await commands.run(AGENT, f"/notify cancel {scheduled}") == (
        f"Cancelled {scheduled}: no further runs."
    )
    cron = await commands.run(AGENT, '/notify wa topic=offers cron="0 9 * * MON" Weekly')
    assert cron.startswith("Scheduled ntf_")
    assert "Unknown" not in await commands.run(VIEWER, "/stats")
    stats = await commands.run(VIEWER, f"/stats {shared.number}")
    assert stats.startswith(f"{shared.number}: 2 conversations; 3 notifications: 1 recipient")
    assert "cost USD 0.0000" in stats

    for line, expected in (
        ("/notify", "Usage: /notify <number>"),
        ("/notify wa", "Usage: /notify <number>"),
        ("/notify wa hello", "name one audience"),
        ("/notify fax topic=x hi", "No number 'fax'"),
        ("/notify wa topic=x cron=nope hi", "'cron': a cron schedule has 5 fields"),
        ("/notify report ntf_nope", "no notification ntf_nope"),
        ("/stats a b", "Usage: /stats [number]"),
    ):
        assert expected in await commands.run(AGENT, line), line
    assert await commands.run(VIEWER, "/notify wa topic=x hi") == (
        "/notify needs the agent role; you are viewer."
    )
    help_lines = [line.split()[0] for line in (await commands.run(VIEWER, "/help")).split("\n")]
    assert "/stats" in help_lines and "/notify" not in help_lines
    assert "/notify" in await commands.run(OPERATOR, "/help")


async def test_the_cli_queues_with_a_progress_bar_and_the_bot_sends(
    make_bot: BotFactory, prefix: str
) -> None:
    shared = await setup(make_bot)
    people = [Person(f"44791196{n:04d}", {}, time.time() - 60) for n in range(30)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    env = environment(prefix) | {"SWITCHBOARD_SHARDS": "4"}  # as the bot has
    code, out, err = await run_command(
        env,
        "admin",
        "notify",
        "--number",
        "wa",
        "--text",
        "Hello {profile.name|friend}",
        "--profiles",
        *ids,
        "--no-quiet-hours",
    )
    assert code == 0, err
    # Without WhatsApp's variables the command knows no rate of the number: it queues the
    # least, and the running bot the rest as its rate lets them go.
    assert "queueing" in err and "10/30" in err  # the progress line, on stderr
    nid = re.search(r"queueing (ntf_\w+): the running bot queues the rest", out)
    assert nid, out
    assert "recipients 10: queued 10" in out
    found = await finished(shared, nid.group(1))
    assert found["counts"]["sent"] == 30
    await until(lambda: len([m for m in shared.graph.sent if m.text == "Hello friend"]) == 30)

    code, out, err = await run_command(env, "admin", "notify-report", nid.group(1))
    assert code == 0, err
    assert out.startswith(f"{nid.group(1)} ({shared.number}): sent") and "sent 30" in out
    code, out, _ = await run_command(env, "admin", "stats")
    assert code == 0 and f"{shared.number}: 31 conversations; 1 notification:" in out
    code, out, err = await run_command(
        env,
        "admin",
        "notify",
        "--number",
        "wa",
        "--text",
        "x",
        "--topic",
        "t",
        "--cron",
        "0 9 * * MON",
    )
    assert code == 0 and out.startswith("scheduled ntf_"), err
    code, _, err = await run_command(
        env, "admin", "notify", "--number", "wa", "--text", "x", "--topic", "Bad Topic"
    )
    assert code == 2 and "topic name" in err
    code, _, err = await run_command(env, "admin", "notify-report", "ntf_nope")
    assert code == 1 and "no notification" in err
