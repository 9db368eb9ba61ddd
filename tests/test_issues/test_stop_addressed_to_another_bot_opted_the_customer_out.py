"""On Telegram, ``/stop@OtherBot`` (a command for another bot in the same group, or typed
by hand) opted the customer out of this bot: the keyword matcher dropped whatever came
after the ``@``. A command that names another bot is now that bot's; ``/stop@ThisBot``
still opts out, and goes to the services as ``/stop``."""

from __future__ import annotations

from tests.test_telegram_runtime import (  # noqa: F401 (a fixture)
    CUSTOMER,
    TelegramBot,
    tg,
    wait_until_processed,
)


async def test_only_a_stop_that_names_this_bot_or_none_opts_out(
    tg: TelegramBot,  # noqa: F811 (the fixture imported above)
) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    tg.api.customer_text(CUSTOMER, "/stop@other_shop_bot")
    timeline = await wait_until_processed(tg, CUSTOMER, 2)
    assert not await tg.opted_out()
    # The welcome to "hi" may be recorded after it: the last of the customer's messages.
    assert [m["text"] for m in timeline if m["direction"] == "inbound"][-1] == (
        "/stop@other_shop_bot"
    )

    tg.api.command(CUSTOMER, "stop", mention_bot=True)  # /stop@switchboard_test_bot
    timeline = await wait_until_processed(tg, CUSTOMER, 3)
    assert await tg.opted_out()
    assert [m["text"] for m in timeline if m["direction"] == "inbound"][-1] == "/stop"
