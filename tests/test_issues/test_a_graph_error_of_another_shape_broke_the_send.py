"""A Graph API answer whose ``error`` was not the object Meta documents (a string, a code
that is no integer) raised AttributeError, ValueError or TypeError out of the WhatsApp
client instead of a refusal: the send kept its claim, was neither retried nor reported
failed, and its outbox entry failed until it was dead-lettered. It is now a refusal
with the answer's status, code 0 when the code is no integer."""

from __future__ import annotations

import pytest

from adapters.keepalive import KeepAlivePoster
from adapters.whatsapp import ProviderError, WhatsAppClient
from bot.channels.registry import send_failures
from bot.core.sender import SendFailedError
from tests.test_keepalive import answering, raw_server
from tests.test_whatsapp_client import WA_ID, answer


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error":"boom"}', "unexpected response"),
        (b'{"error":["boom"]}', "unexpected response"),
        (b'{"error":{"code":"abc","message":"bad code"}}', "bad code"),
        (b'{"error":{"code":[1],"message":"bad code"}}', "bad code"),
        (b'{"error":{"code":1e400,"message":"huge code"}}', "huge code"),
    ],
)
async def test_a_graph_error_of_another_shape_is_a_refusal(body: bytes, message: str) -> None:
    calls = KeepAlivePoster(keep_answers=True)
    try:
        async with raw_server(answering(answer("400 Bad Request", body))) as server:
            client = WhatsAppClient(calls, server.url.partition("/hook")[0], "1065", "token")
            with pytest.raises(ProviderError) as refused:
                await client.send_text(WA_ID, "hi")
            with pytest.raises(SendFailedError) as failed:
                with send_failures("", "WhatsApp API"):
                    await client.send_text(WA_ID, "hi")
    finally:
        await calls.close()
    assert (refused.value.status, refused.value.code) == (400, 0)
    assert message in str(refused.value)
    assert not failed.value.retryable and "400" in str(failed.value)
