"""The WhatsApp client's sends against a Graph API that answers well, badly or not at all:
each answer becomes a message id, a provider's refusal the sender can act on, or a failure
to reach the API, and a send is never sent twice by the client itself."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.keepalive import MAX_KEPT, KeepAlivePoster, PostFailed
from adapters.whatsapp import ProviderError, WhatsAppClient
from bot.channels.registry import send_failures
from bot.core.sender import SendFailedError
from tests.emulators.graph_api import GraphAPIEmulator
from tests.test_keepalive import RawServer, answering, dropping_the_second, raw_server

WA_ID = "447700900123"


@pytest.fixture
async def calls() -> AsyncIterator[KeepAlivePoster]:
    poster = KeepAlivePoster(keep_answers=True)
    yield poster
    await poster.close()


def client_of(calls: KeepAlivePoster, server: RawServer) -> WhatsAppClient:
    return WhatsAppClient(calls, server.url.partition("/hook")[0], "1065", "token")


def answer(status: str, body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return f"HTTP/1.1 {status}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


async def test_a_send_carries_its_token_and_json_and_gives_the_message_id(
    calls: KeepAlivePoster,
) -> None:
    async with GraphAPIEmulator("token") as graph:
        client = WhatsAppClient(calls, graph.base_url, "1065", "token")
        ids = [await client.send_text(WA_ID, f"Hello {n} \U0001f44b") for n in range(3)]
        (sent, *_) = graph.sent
    assert len(set(ids)) == 3 and all(i.startswith("wamid.") for i in ids)
    assert sent.text == "Hello 0 \U0001f44b" and sent.to == WA_ID
    async with GraphAPIEmulator("token") as graph:
        client = WhatsAppClient(calls, graph.base_url, "1065", "wrong token")
        with pytest.raises(ProviderError) as refused:
            await client.send_text(WA_ID, "hi")
    assert refused.value.status == 401 and not refused.value.retryable


async def test_a_text_json_cannot_hold_as_it_is_goes_escaped(calls: KeepAlivePoster) -> None:
    async with raw_server(answering(answer("200 OK", b'{"messages":[{"id":"wamid.X"}]}'))) as s:
        assert await client_of(calls, s).send_text(WA_ID, "half \ud83d a pair") == "wamid.X"
    assert b'"half \\ud83d a pair"' in s.requests[0]


@pytest.mark.parametrize(
    ("reply", "status", "code", "retry_after", "retryable"),
    [
        (
            answer("429 Too Many", b'{"error":{"code":130429,"message":"slow"}}', "Retry-After: 7"),
            429,
            130429,
            7.0,
            True,
        ),
        (answer("400 Bad", b'{"error":{"code":130429,"message":"rate"}}'), 400, 130429, None, True),
        (
            answer("400 Bad", b'{"error":{"code":131026,"message":"undeliverable"}}'),
            400,
            131026,
            None,
            False,
        ),
        (
            answer("503 Busy", b"<html>down</html>", "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT"),
            503,
            0,
            None,
            True,
        ),
        (answer("200 OK", b"not json"), 200, 0, None, False),
        (answer("200 OK", b'{"messages":[]}'), 200, 0, None, False),
        (answer("200 OK", b"\xff\xfe{}"), 200, 0, None, False),
        (answer("500 Oops", b"x" * (3 * MAX_KEPT)), 500, 0, None, True),
    ],
)
async def test_each_refusal_says_what_the_sender_needs(
    calls: KeepAlivePoster,
    reply: bytes,
    status: int,
    code: int,
    retry_after: float | None,
    retryable: bool,
) -> None:
    async with raw_server(answering(reply)) as server:
        with pytest.raises(ProviderError) as refused:
            await client_of(calls, server).send_text(WA_ID, "hi")
    error = refused.value
    assert (error.status, error.code, error.retry_after) == (status, code, retry_after)
    assert error.retryable is retryable
    assert len(server.requests) == 1


async def test_no_answer_fails_the_send_for_good_and_it_goes_once(
    calls: KeepAlivePoster,
) -> None:
    """Meta may have taken a send whose answer never came: it is not made again (REL-3).
    One that found no server to connect to never left, and is retried."""
    sent = answer("200 OK", b'{"messages":[{"id":"wamid.1"}]}')
    async with raw_server(dropping_the_second(sent)) as server:
        client = client_of(calls, server)
        assert await client.send_text(WA_ID, "one") == "wamid.1"
        with pytest.raises(SendFailedError, match="whether the message went out") as failed:
            with send_failures("", "WhatsApp API"):
                await client.send_text(WA_ID, "two")
        assert not failed.value.retryable
        assert len(server.requests) == 2  # the client did not send "two" again itself
    port = server.url.split(":")[2].split("/")[0]
    gone = WhatsAppClient(calls, f"http://127.0.0.1:{port}", "1065", "token")
    with pytest.raises(SendFailedError, match="WhatsApp API unreachable: cannot connect") as down:
        with send_failures("", "WhatsApp API"):
            await gone.send_text(WA_ID, "three")
    assert down.value.retryable


async def test_a_base_url_or_token_that_cannot_be_sent_fails_as_unreachable(
    calls: KeepAlivePoster,
) -> None:
    for client in (
        WhatsAppClient(calls, "ftp://graph.example", "1065", "token"),
        WhatsAppClient(calls, "http://127.0.0.1:9", "1065", "token\r\nX-Injected: 1"),
    ):
        with pytest.raises(PostFailed, match="cannot call"):
            await client.send_text(WA_ID, "hi")


async def test_typing_is_shown_or_refused(calls: KeepAlivePoster) -> None:
    async with raw_server(
        answering(
            answer("200 OK", b'{"success":true}'), answer("400 Bad", b'{"error":{"code":100}}')
        )
    ) as server:
        client = client_of(calls, server)
        await client.send_typing("wamid.in")
        with pytest.raises(ProviderError) as refused:
            await client.send_typing("wamid.in")
    assert refused.value.code == 100
    assert b'"typing_indicator":{"type":"text"}' in server.requests[0]
