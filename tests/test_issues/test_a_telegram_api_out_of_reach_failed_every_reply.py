"""With the Bot API out of reach (no connection could be made), a Telegram reply was
tried five times over about 15 s and failed for good, as WhatsApp's and Twilio's were: a
call that never reached Telegram is safe to make again, and such a send now waits in the
outbox for it to come back (``UNREACHABLE_PATIENCE``). Both frameworks say when no
connection could be made; an answered 5xx is not that."""

from __future__ import annotations

import pytest

from adapters.telegram_common import TelegramError
from tests.emulators.telegram_api import TelegramAPIEmulator
from tests.test_telegram_channel import CUSTOMER, MakeClient, emulator, framework, make_client

__all__ = ["emulator", "framework", "make_client"]


async def test_a_bot_api_out_of_reach_is_said_unsent(
    make_client: MakeClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.add_user(CUSTOMER)
    client = await make_client()
    emulator.gateway_error("sendMessage", 502)
    with pytest.raises(TelegramError) as answered:
        await client.send_text(str(CUSTOMER), "hello")
    assert answered.value.retryable and not answered.value.unsent
    await emulator.stop()  # connections to it are refused now
    fresh = await make_client()  # none kept alive from before: each call must connect
    with pytest.raises(TelegramError) as refused:
        await fresh.send_text(str(CUSTOMER), "hello")
    assert refused.value.retryable and refused.value.unsent, str(refused.value)
