"""A WhatsApp ``failed`` receipt Meta posted before its answer to the send lost Meta's
error: the services got ``message.status`` with ``error`` and ``error_code`` empty, and
the campaign's recipients showed no ``error_code``, where the same failure after the
send's record gave ``131026`` and its title. The early receipt keeps its error now, and
is told as the same failure after the record is."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_issues.test_one_delivered_template_was_billed_twice import (
    campaign_receipted_early,
)
from tests.test_notifications_follow import recipients

UK = "447911700013"
UNDELIVERABLE = {
    "code": 131026,
    "title": "Message undeliverable",
    "message": "Message undeliverable",
    "error_data": {"details": "Message Undeliverable."},
}


async def test_an_early_failure_is_told_with_metas_error(make_bot: BotFactory) -> None:
    shared, nid, ids = await campaign_receipted_early(
        make_bot, UK, "failed", errors=[UNDELIVERABLE]
    )
    bot = shared.bot
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
