"""On Telegram, START pressed under a t.me deep link sends ``/start <parameter>``; after a
/stop that left the customer opted out, and everything sent to them failed. A deep link's
/start opts back in, as a bare /start does."""

from __future__ import annotations

from tests.test_telegram_runtime import (  # noqa: F401 (a fixture)
    CUSTOMER,
    TelegramBot,
    tg,
    wait_until_processed,
)


async def test_a_deep_link_start_opts_back_in(
    tg: TelegramBot,  # noqa: F811 (the fixture imported above)
) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    tg.api.customer_text(CUSTOMER, "/stop")
    await wait_until_processed(tg, CUSTOMER, 2)
    assert await tg.opted_out()
    tg.api.customer_text(CUSTOMER, "/start promo2026")
    await wait_until_processed(tg, CUSTOMER, 3)
    assert not await tg.opted_out()
    tg.api.customer_text(CUSTOMER, "/stop")
    await wait_until_processed(tg, CUSTOMER, 4)
    tg.api.customer_text(CUSTOMER, "/start please stop the noise")  # no deep link: words
    await wait_until_processed(tg, CUSTOMER, 5)
    assert await tg.opted_out()
