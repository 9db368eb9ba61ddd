"""A service wrote first to a Brazilian or Mexican phone (``POST /v1/conversations``), and
WhatsApp answered in the customer's account id, which for those countries is another form
of the number (Brazil's older accounts lack the mobile 9; Mexico's ids keep the 1 after
52): the receipts reached no service, the customer's reply opened a second conversation,
and a reply in the first was refused as outside the 24-hour window though the customer
had just written. The two forms of one id are one conversation now."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number, wait_for_event

TEMPLATE = {"name": "order_update", "language": "pt_BR", "variables": ["A-17"]}


@pytest.mark.parametrize(
    ("phone", "account"),
    [("+5511987654321", "551187654321"), ("+525512345678", "5215512345678")],
)
async def test_the_customer_s_answer_is_in_the_conversation_written_first(
    make_bot: BotFactory, phone: str, account: str
) -> None:
    shared = await shared_number(make_bot)
    bot = shared.bot
    body = {"number": shared.number, "identity": phone, "template": TEMPLATE}
    started = await shared.call("sales", "POST", "/v1/conversations", body)
    assert started.status == 201, started.raw
    cid = started.json["conversation"]["id"]
    sent = (await shared.graph.wait_for_sent(2))[-1]
    assert sent.to == phone.lstrip("+")

    # WhatsApp answers in the account's own form of the number.
    receipt = meta.status_update(bot.phone_number_id, sent.message_id, account, "delivered")
    assert (await bot.post_whatsapp(receipt)).status == 200
    sales = bot.sinks["sales"]
    delivered = await wait_for_event(sales, "message.status")
    assert delivered["data"]["conversation_id"] == cid
    assert delivered["data"]["status"] == "delivered"

    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, account, "Obrigado!"))
    inbound = await wait_for_event(
        sales, "message.inbound", lambda d: d["message"]["text"] == "Obrigado!"
    )
    assert inbound["data"]["conversation_id"] == cid
    answer = await shared.reply("sales", "De nada!", conversation=cid)
    assert answer.status == 201, answer.raw  # the customer just wrote: the window is open
