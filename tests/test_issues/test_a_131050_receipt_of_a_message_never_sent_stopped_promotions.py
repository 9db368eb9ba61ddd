"""A WhatsApp ``failed`` receipt with Meta's 131050 ("the user stopped marketing
messages") for a message the bot never sent, an id of nobody's send, marked the
customer's conversation ``marketing_stopped``, and every later marketing campaign
skipped them. A receipt of no send is kept only until its send is recorded (Meta may
post it before its answer to the send): the stop is kept when that send is, and never
for a send that does not come."""

from __future__ import annotations

import time

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_issues.test_a_customer_who_stopped_promotions_still_got_marketing import (
    CONSENT,
    stopped,
)
from tests.test_issues.test_one_delivered_template_was_billed_twice import (
    campaign_receipted_early,
)
from tests.test_notifications import Person, seed, setup, until

CUSTOMER, EARLY = "447911300031", "447911300032"
STOPPED = {"code": 131050, "title": "Unable to deliver the message"}


async def test_a_131050_of_no_send_of_ours_stops_nothing(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person(CUSTOMER, CONSENT, time.time() - 60)])
    forged = meta.status_update(
        PHONE_NUMBER_ID, meta.new_message_id(), CUSTOMER, "failed", errors=[STOPPED]
    )
    assert (await shared.bot.post_whatsapp(forged)).status == 200
    await shared.bot.settle()
    assert not await stopped(shared, CUSTOMER)


async def test_a_131050_before_the_sends_answer_stops_promotions_once_it_is_recorded(
    make_bot: BotFactory,
) -> None:
    shared, _, _ = await campaign_receipted_early(make_bot, EARLY, "failed", errors=[STOPPED])
    await until(lambda: stopped(shared, EARLY), what="the stop kept with the send")
