"""``admin notify`` run from a shell without the WhatsApp variables (the admin commands need
``REDIS_URL`` alone) knew no rate of the number, and queued the whole audience at once: a
customer who wrote then waited behind all of it (3,000 sends: 54 s). Knowing no rate of
the number, the command queues the least and leaves the rest to the running bot, which
queues it as the number's rate lets it go."""

from __future__ import annotations

import re
import time

from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_notifications import Person, finished, seed, setup


async def test_admin_notify_without_the_rate_queues_the_least(
    make_bot: BotFactory, prefix: str
) -> None:
    shared = await setup(make_bot)
    people = [Person(f"44791197{n:04d}", {}, time.time() - 60) for n in range(25)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    env = environment(prefix) | {"SWITCHBOARD_SHARDS": "4"}  # no WHATSAPP_* variables
    code, out, err = await run_command(
        env,
        "admin",
        "notify",
        "--number",
        "wa",
        "--text",
        "Hi",
        "--no-quiet-hours",
        "--profiles",
        *ids,
    )
    assert code == 0, err
    assert "recipients 10: queued 10" in out, out
    nid = re.search(r"queueing (ntf_\w+): the running bot queues the rest", out)
    assert nid, out
    assert (await finished(shared, nid.group(1)))["counts"]["sent"] == 25
