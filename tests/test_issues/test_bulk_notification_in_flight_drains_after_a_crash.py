"""A 300-recipient template notification, sent at 25 messages a second, survives a kill -9
of the process sending it.

As a user saw it: the process was killed after 60 sends and restarted. 268 recipients got
exactly one message, 31 or 32 never got it, and the report stayed at ``queued 300, sent
268, in flight 32`` for good, while the send streams showed no pending entries. Each of the
lost sends had been claimed (never to be sent twice) and was then waiting for a slot of
the number's rate when the process died; the process that took over found the claim and
let the send go, never sent.

What must hold: every queued send is sent exactly once, or fails with a reason; the report's
``in flight`` drains to 0.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import Counter

import pytest
from redis.asyncio import Redis

from tests.botprocess import INTERRUPTED_SOONER, BotProcess, run_command
from tests.conftest import PHONE_NUMBER_ID, REDIS_URL
from tests.emulators.graph_api import GraphAPIEmulator

pytestmark = pytest.mark.slow

RECIPIENTS = 300
KILL_AFTER = 60
PER_SECOND = 25
STAMP_LATENESS = 0.5
"""Seconds a send's stamp at the emulator may come after its slot."""
SETTLE_SECONDS = 90.0
"""Shard leases live 5 s: the restarted process takes the outbox over after that. A send
the kill cut short inside its API call fails once its claim is older than any attempt
(``bot.core.sender.INTERRUPTED_AFTER``, 30 s as shipped, 10 s in the process that takes
over here)."""
REPORT = re.compile(
    r"sent (?P<sent>[\d,]+), delivered [\d,]+, read [\d,]+, "
    r"failed (?P<failed>[\d,]+), in flight (?P<in_flight>[\d,]+)"
)


def phones() -> list[str]:
    return [f"+4479111{n:05d}" for n in range(RECIPIENTS)]


def most_in(window: float, times: list[float]) -> int:
    """The most sends the emulator accepted in any ``window`` seconds."""
    times, best, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


async def notify_report(env: dict[str, str], nid: str) -> tuple[dict[str, int], str]:
    """The operator's view: ``admin notify-report``'s counts of sends, and its text."""
    code, out, err = await run_command(env, "admin", "notify-report", nid)
    assert code == 0, err
    found = REPORT.search(out)
    assert found, out
    return {name: int(value.replace(",", "")) for name, value in found.groupdict().items()}, out


async def test_a_bulk_notification_killed_mid_send_drains_in_flight(
    prefix: str, real_redis: Redis
) -> None:
    access_token = secrets.token_hex(16)
    graph = GraphAPIEmulator(access_token)
    env = {
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": access_token,
        "WHATSAPP_APP_SECRET": secrets.token_hex(16),
        "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
        "WHATSAPP_API_BASE": await graph.start(),
        "WHATSAPP_MESSAGES_PER_SECOND": str(PER_SECOND),
    }
    first = BotProcess(env)
    second = BotProcess(env, port=first.port, constants=INTERRUPTED_SOONER)
    try:
        await asyncio.to_thread(first.start)
        code, out, err = await run_command(
            env,
            "admin",
            "notify",
            "--number",
            "wa",
            "--template",
            "order_update:en:utility",
            "--no-quiet-hours",
            "--profiles",
            *phones(),
        )
        assert code == 0, err
        nid = re.search(r"ntf_\w+", out)
        assert nid, out
        await graph.wait_for_sent(KILL_AFTER, timeout=30)
        await asyncio.to_thread(first.kill)
        at_kill = len(graph.sent)
        await asyncio.to_thread(second.start)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        counts, text = await notify_report(env, nid[0])
        while counts["in_flight"] and loop.time() < deadline:
            await asyncio.sleep(1)
            counts, text = await notify_report(env, nid[0])
        assert counts["in_flight"] == 0, f"{text}\n{second.output()[-3000:]}"

        got = Counter(message.to for message in graph.sent)
        assert max(got.values()) == 1, "a recipient got the notification twice"
        assert counts["sent"] + counts["failed"] == RECIPIENTS, text
        # Only a send whose API call the kill interrupted may fail ("interrupted"); its
        # outcome is unknown, so it is never sent again (REL-3). Every other one is sent.
        assert counts["failed"] <= 2, text
        assert len(got) >= RECIPIENTS - counts["failed"], text
        # The number's rate held through the crash and the takeover (CH-6), over 5 s. The
        # slots are 40 ms apart in Redis, but the emulator stamps a send when this test's
        # event loop gets to it, which also runs the report's command every second: a stamp
        # late by up to STAMP_LATENESS brings the next ones closer. A rate not kept shows
        # far more (two processes at the full rate: 250).
        sends = [message.received_at for message in graph.sent]
        assert most_in(5.0, sends) <= (5.0 + STAMP_LATENESS) * PER_SECOND + 1
        print(
            f"\nkilled after {at_kill} sends; after the restart: {len(got)} recipients got it "
            f"once, {RECIPIENTS - len(got)} never; report: {text.splitlines()[2]}"
        )
    finally:
        await asyncio.to_thread(second.close)
        await asyncio.to_thread(first.close)
        await graph.stop()
