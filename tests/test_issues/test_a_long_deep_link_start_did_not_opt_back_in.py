"""A t.me deep link's parameter may be up to 64 characters, so its ``/start <parameter>``
is up to 71. The keyword check gave up on any text past 64 characters before it looked
for a deep link: a customer who had sent /stop and then pressed START under a link with
a long parameter (a campaign's, an encoded visitor id) stayed opted out, and everything
sent to them failed."""

from __future__ import annotations

from tests.test_telegram_runtime import (  # noqa: F401 (a fixture)
    CUSTOMER,
    TelegramBot,
    tg,
    wait_until_processed,
)


async def test_a_deep_link_start_with_a_64_character_parameter_opts_back_in(
    tg: TelegramBot,  # noqa: F811 (the fixture imported above)
) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    tg.api.customer_text(CUSTOMER, "/stop")
    await wait_until_processed(tg, CUSTOMER, 2)
    assert await tg.opted_out()
    tg.api.customer_text(CUSTOMER, "/start " + "cmp_2026-spring_" + "x" * 48)
    await wait_until_processed(tg, CUSTOMER, 3)
    assert not await tg.opted_out()
