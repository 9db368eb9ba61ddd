"""A WhatsApp ``failed`` receipt Meta posted before its answer to the send lost Meta's
error: the services got ``message.status`` with ``error`` and ``error_code`` empty, and
the campaign's recipients showed no ``error_code``, where the same failure after the
send's record gave ``131026`` and its title. The early receipt keeps its error now, and
is told as the same failure after the record is."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_costs import CARD, template_campaign
from tests.test_issues.test_a_receipt_before_its_sends_record_never_reached_it import (
    inbound_done,
)
from tests.test_notifications import Person, finished, seed, setup
from tests.test_notifications_follow import recipients

UK = "447911700013"
UNDELIVERABLE = {
    "code": 131026,
    "title": "Message undeliverable",
    "message": "Message undeliverable",
    "error_data": {"details": "Message Undeliverable."},
}


async def test_an_early_failure_is_told_with_metas_error(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, rate_card=CARD)
    ids = await seed(
        shared.bot.runtime, shared.number, [Person(UK, {"consent": "consent"}, time.time() - 60)]
    )
    graph, bot = shared.graph, shared.bot

    async def failed_first(message_id: str) -> None:
        graph.before_answer = None
        receipt = meta.status_update(
            bot.phone_number_id, message_id, UK, "failed", errors=[UNDELIVERABLE]
        )
        assert (await bot.post_whatsapp(receipt)).status == 200
        await inbound_done(bot)

    graph.before_answer = failed_first
    nid = await template_campaign(shared, "winter_sale", "marketing", ids)
    await finished(shared, nid)
    assert graph.before_answer is None  # the receipt went before the answer
    sink = bot.sinks["support"]
    await sink.wait_for(
        lambda ds: any(
            d.event["type"] == "message.status" and d.event["data"]["status"] == "failed"
            for d in ds
        )
    )
    (failed,) = [
        e["data"] for e in sink.events("message.status") if e["data"]["status"] == "failed"
    ]
    assert (failed["error"], failed["error_code"]) == ("Message undeliverable", "131026")
    (recipient,) = (await recipients(shared, nid, "status=failed"))["recipients"]
    assert recipient["error_code"] == "131026" and recipient["profile"] == ids[0]
