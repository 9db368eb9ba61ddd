"""After ``/detach team tg:...``, ``/reply`` there was refused ("the team is not attached"),
but ``/notify tg:... conversations=<cid> sent anyway`` answered "Sending ntf_... now" and the
customer got it; ``/notify report``, ``recipients`` and ``profile`` still showed that
number's campaigns and customers; and with every service detached, ``/notify`` said
"Sending" and the run then failed in the log ("no service is attached")."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.test_team_commands import ADMIN
from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed

__all__ = ["tg"]

NEXT_YEAR = datetime.now(UTC).year + 1
"""A new year's morning to come, whatever the year the test runs in."""


def texts_to_customer(tg: TelegramBot) -> list[str | None]:
    return [m.text for m in tg.api.messages_to(CUSTOMER)]


async def test_notify_is_refused_on_a_number_the_team_left(tg: TelegramBot) -> None:
    runtime, number, cid = tg.bot.runtime, tg.number, tg.conversation()
    tg.api.customer_text(CUSTOMER, "hi from telegram")
    await wait_until_processed(tg, CUSTOMER, 1)
    profile = (await runtime.conversations.meta(cid))["profile"]
    run = runtime.commands.run
    # quiet=off: the notifications go at whatever hour the test runs, quiet hours included.
    first = await run(ADMIN, f"/notify {number} conversations={cid} quiet=off Attached, first")
    assert first.startswith("Sending ntf_"), first
    await tg.api.wait_until(lambda: "Attached, first" in texts_to_customer(tg))
    sent = re.search(r"ntf_\w+", first)
    assert sent
    scheduled = await run(
        ADMIN, f"/notify {number} conversations={cid} at={NEXT_YEAR}-01-01T09:00 Happy new year"
    )
    later = re.search(r"ntf_\w+", scheduled)
    assert later, scheduled
    assert sent.group(0) in await run(ADMIN, f"/notify profile {profile}")

    await runtime.directory.store.detach(number, "team")
    refused = f"the team is not attached to {number}"
    assert refused in await run(ADMIN, f"/reply {cid} hello")
    answer = await run(ADMIN, f"/notify {number} conversations={cid} quiet=off sent anyway")
    assert answer.startswith("Not sent: ") and refused in answer, answer
    for line in (
        f"/notify report {sent.group(0)}",
        f"/notify recipients {sent.group(0)}",
        f"/notify review {later.group(0)}",
        f"/notify send {later.group(0)}",
        f"/notify test {later.group(0)}",
        f"/notify stop {later.group(0)} wrong price",
        f"/notify cancel {later.group(0)}",
    ):
        answer = await run(ADMIN, line)
        assert refused in answer and str(CUSTOMER) not in answer, (line, answer)
    campaigns = await run(ADMIN, f"/notify profile {profile}")
    assert sent.group(0) not in campaigns and later.group(0) not in campaigns, campaigns
    assert (await run(ADMIN, f"/notify report {later.group(0)}")).startswith("Not shown: ")

    # With no service at all there, the team's notification is refused with that reason.
    for service in await runtime.services.order(number):
        await runtime.directory.store.detach(number, service)
    answer = await run(ADMIN, f"/notify {number} conversations={cid} quiet=off to nobody")
    assert answer.startswith("Not sent: ") and f"no service is attached to {number}" in answer

    # Attached again, the team's next one goes, and the refused ones never went.
    await runtime.directory.store.attach(number, "team")
    answer = await run(ADMIN, f"/notify {number} conversations={cid} quiet=off Back again")
    assert answer.startswith("Sending ntf_"), answer
    await tg.api.wait_until(lambda: "Back again" in texts_to_customer(tg))
    assert "sent anyway" not in texts_to_customer(tg)
    assert "to nobody" not in texts_to_customer(tg)
    report = await run(ADMIN, f"/notify report {later.group(0)}")
    assert report.startswith(f"{later.group(0)} ({number}): scheduled"), report
