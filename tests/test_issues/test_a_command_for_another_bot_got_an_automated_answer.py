"""A Telegram customer's command that names another bot (``/hours@other_shop_bot``) was
answered by the automation as any text: a keyword rule, the welcome, the fallback. A
command that names another bot is left to that bot (README, "Connecting Telegram"): it
still reaches the services, and nothing automated answers it."""

from __future__ import annotations

from tests.test_telegram_runtime import (  # noqa: F401 (a fixture)
    CUSTOMER,
    TelegramBot,
    tg,
    wait_until_processed,
)

WELCOME, HOURS, PRICE = "Welcome! How can we help?", "We open at 9.", "Plans start at 9 a month."


async def test_a_command_for_another_bot_gets_no_automated_answer(
    tg: TelegramBot,  # noqa: F811 (the fixture imported above)
) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    await tg.api.wait_until(lambda: len(tg.api.messages_to(CUSTOMER)) == 1)
    tg.api.customer_text(CUSTOMER, "/hours@other_shop_bot")
    tg.api.customer_text(CUSTOMER, "price")
    # One chat's answers go in order: the last one's, once it came, follows any other.
    await tg.api.wait_until(lambda: tg.api.messages_to(CUSTOMER)[-1].text == PRICE)
    assert [m.text for m in tg.api.messages_to(CUSTOMER)] == [WELCOME, PRICE]
    timeline = await wait_until_processed(tg, CUSTOMER, 3)
    inbound = [m["text"] for m in timeline if m["direction"] == "inbound"]
    assert "/hours@other_shop_bot" in inbound  # the services have it, as any message
