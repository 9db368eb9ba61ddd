"""A campaign's send dropped as its recipient opted out while it waited its turn (STOP
after the run queued it) was listed among the ``failed`` recipients with no
``error_code``, where one dropped for an erasure says ``erased``: it says
``opted_out``."""

from __future__ import annotations

import time

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_notifications import Person, campaign, finished, report, seed, setup, until


async def test_a_send_dropped_by_a_stop_says_opted_out(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, whatsapp_rate=0.5)  # one send every 2 s
    people = [Person(f"4479117002{n:02d}", wrote_at=time.time() - 60) for n in range(4)]
    profiles = await seed(shared.bot.runtime, shared.number, people)
    body = {"number": shared.number, "text": "A sale", "audience": {"profiles": profiles}}
    nid = await campaign(shared, body)

    async def queued() -> dict[str, int] | None:
        counts: dict[str, int] = (await report(shared, nid))["counts"]
        return counts if counts["queued"] == 4 else None

    counts = await until(queued, 10, "the run to queue every send")
    assert counts["sent"] < 3  # one send every 2 s: the last waits its turn
    last = people[-1].wa
    stop = meta.text_message(PHONE_NUMBER_ID, last, "STOP")
    assert (await shared.bot.post_whatsapp(stop)).status == 200
    found = await finished(shared, nid, timeout=30)
    assert found["counts"]["failed"] == 1, (found["counts"], found["skipped"])
    answer = await shared.call(
        "support", "GET", f"/v1/notifications/{nid}/recipients?status=failed"
    )
    (failed,) = answer.json["recipients"]
    assert failed["identity"] == f"wa:{last}" and failed["error_code"] == "opted_out"
