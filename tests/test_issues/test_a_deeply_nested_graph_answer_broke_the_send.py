"""A Graph API answer nested deeper than Python's JSON parser goes raised RecursionError
out of the WhatsApp client instead of a refusal: the send kept its claim and was neither
retried nor reported. It is now a refusal with the answer's status, as for any answer
that is not JSON."""

from __future__ import annotations

import pytest

from adapters.keepalive import KeepAlivePoster
from adapters.whatsapp import ProviderError, WhatsAppClient
from tests.test_keepalive import answering, raw_server
from tests.test_whatsapp_client import WA_ID, answer


@pytest.mark.parametrize("status", ["200 OK", "503 Busy"])
async def test_a_deeply_nested_answer_is_a_refusal(status: str) -> None:
    nested = b"[" * 30_000 + b"]" * 30_000
    calls = KeepAlivePoster(keep_answers=True)
    try:
        async with raw_server(answering(answer(status, nested))) as server:
            client = WhatsAppClient(calls, server.url.partition("/hook")[0], "1065", "token")
            with pytest.raises(ProviderError) as refused:
                await client.send_text(WA_ID, "hi")
    finally:
        await calls.close()
    assert refused.value.status == int(status[:3]) and refused.value.code == 0
    assert "unexpected response" in str(refused.value)
