"""With python-telegram-bot, a send answered 502 with the HTML page of the proxy in front
of the Bot API (as in Telegram's outages) failed for good, "whether the message went out
is unknown: not sent again": PTB could not read the page as JSON and chained that, which
was taken for a failure after the request left. An answered 5xx is retried, as aiogram's
already was (REL-3)."""

from __future__ import annotations

import pytest

from adapters.telegram_common import UNANSWERED, TelegramError
from tests.emulators.telegram_api import TelegramAPIEmulator
from tests.test_telegram_channel import CUSTOMER, MakeClient, emulator, framework, make_client

__all__ = ["emulator", "framework", "make_client"]


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_proxy_s_page_is_retried(
    make_client: MakeClient, emulator: TelegramAPIEmulator, status: int
) -> None:
    emulator.add_user(CUSTOMER)
    client = await make_client()
    emulator.gateway_error("sendMessage", status)
    with pytest.raises(TelegramError) as failed:
        await client.send_text(str(CUSTOMER), "hello")
    assert failed.value.retryable, str(failed.value)
    assert UNANSWERED not in str(failed.value)
    assert emulator.sent == []
    await client.send_text(str(CUSTOMER), "hello")  # the retry goes out
    assert [m.text for m in emulator.sent] == ["hello"]
