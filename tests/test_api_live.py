"""The live view's token and its calls over plain HTTP: issued by a service for one profile,
scoped to that profile and that service's numbers, refused whole when expired, forged or
tampered with; broken, hostile and oversized input refused with nothing stored."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import pytest

from bot.core.livetokens import LiveTokenSigner
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_api import (
    WA_ID,
    WELCOME,
    Answer,
    Shared,
    call,
    say,
    shared_number,
)
from tests.test_api_replies import MASKED_KEYS

OTHER_WA_ID = "447911222999"
SECRET = "PLATYPUS-4411"


async def profile_of(shared: Shared, wa_id: str = WA_ID) -> str:
    return await shared.bot.runtime.profile_book.find(f"wa:{wa_id}")


async def issue(shared: Shared, service: str, body: Any) -> Answer:
    return await shared.call(service, "POST", "/v1/live-tokens", body)


async def live_token(shared: Shared, service: str = "support", agent: str = "alice") -> str:
    answer = await issue(shared, service, {"profile": await profile_of(shared), "agent": agent})
    assert answer.status == 201, answer.raw
    token: str = answer.json["token"]
    return token


async def live(
    shared: Shared, token: str | None, method: str, path: str, body: Any = None
) -> Answer:
    return await call(shared.bot, token, method, "/live/api" + path, body)


async def test_a_token_opens_the_profile_s_conversations_masked_for_its_service(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    profile = await profile_of(shared)
    before = time.time()
    answer = await issue(shared, "support", {"profile": f"wa:{WA_ID}", "agent": "alice"})
    assert answer.status == 201, answer.raw
    found = answer.json
    assert found["profile"] == profile and found["agent"] == "alice"
    assert before + 3600 - 2 <= found["expires_at"] <= time.time() + 3600
    assert found["url"].endswith(f"/live?profile={profile}&token={found['token']}")

    # sales replies in full; support, which masks, must see that it happened and nothing more.
    assert (await shared.reply("sales", SECRET, "bob")).status == 201
    await shared.graph.wait_for_sent(2)
    await shared.bot.settle()

    token = found["token"]
    state = await live(shared, token, "GET", "/state")
    assert state.status == 200, state.raw
    assert (state.json["service"], state.json["agent"]) == ("support", "alice")
    assert [c["id"] for c in state.json["conversations"]] == [shared.conversation]
    assert state.json["conversations"][0]["window_open"] is True
    assert state.json["startable"] == []  # the WhatsApp conversation exists
    timeline = await live(shared, token, "GET", f"/conversations/{shared.conversation}")
    assert timeline.status == 200, timeline.raw
    assert SECRET.encode() not in timeline.raw
    masked = [m for m in timeline.json["messages"] if m.get("masked")]
    assert len(masked) == 1 and not MASKED_KEYS & masked[0].keys()
    # exactly what the API shows this service
    api = await shared.call("support", "GET", shared.path())
    assert api.json == timeline.json


async def test_the_page_acts_through_the_api_as_the_token_s_agent(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared, "sales", "bob")
    path = f"/conversations/{shared.conversation}"
    assert (
        await shared.call("support", "POST", shared.path("claim"), {"agent": "ann"})
    ).status == 200

    claimed = await live(shared, token, "POST", path + "/claim", {})
    assert claimed.status == 200, claimed.raw
    assert (claimed.json["claim"]["service"], claimed.json["claim"]["agent"]) == ("sales", "bob")
    assert claimed.json["warning"]["holder"]["agent"] == "ann"  # the collision warning

    sent = await live(shared, token, "POST", path + "/messages", {"text": "On it 👍"})
    assert sent.status == 201, sent.raw
    assert (sent.json["message"]["service"], sent.json["message"]["agent"]) == ("sales", "bob")
    await shared.graph.wait_for_sent(2)
    assert shared.texts_sent() == [WELCOME, "On it 👍"]

    other = await live(shared, token, "POST", path + "/messages", {"text": "x", "agent": "eve"})
    assert other.status == 403 and "agent" in other.error
    released = await live(shared, token, "POST", path + "/release", {})
    assert released.status == 200, released.raw
    assert await shared.bot.runtime.claims.holder(shared.conversation) is None
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "On it 👍"]


async def test_another_profile_s_conversation_is_unknown_to_the_token(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "I am someone else", OTHER_WA_ID)
    token = await live_token(shared)
    other = shared.bot.conversation(OTHER_WA_ID)
    for method, action, body in (
        ("GET", "", None),
        ("POST", "/messages", {"text": "leak?"}),
        ("POST", "/claim", {}),
        ("POST", "/release", {}),
    ):
        answer = await live(shared, token, method, f"/conversations/{other}{action}", body)
        assert answer.status == 404, (action, answer.raw)
        assert b"someone else" not in answer.raw
    state = await live(shared, token, "GET", "/state")
    assert other not in state.raw.decode()
    await shared.bot.settle()
    assert "leak?" not in shared.texts_sent()
    assert await shared.bot.runtime.claims.holder(other) is None


async def test_a_service_detached_from_the_number_sees_nothing_there(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared, "marketing")
    await shared.bot.runtime.actions.detach(shared.number, "marketing")
    state = await live(shared, token, "GET", "/state")
    assert state.status == 200 and state.json["conversations"] == []
    answer = await live(shared, token, "GET", f"/conversations/{shared.conversation}")
    assert answer.status == 404


def _tampered(token: str) -> str:
    payload, _, mac = token.partition(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = raw.replace(b"alice", b"admin")
    return base64.urlsafe_b64encode(forged).rstrip(b"=").decode() + "." + mac


BAD_TOKENS = {
    "missing": lambda valid, api: None,
    "garbage": lambda valid, api: "not-a-token",
    "tampered payload": lambda valid, api: _tampered(valid),
    "flipped signature": lambda valid, api: valid[:-2] + ("AA" if valid[-2:] != "AA" else "BB"),
    "the service's api token": lambda valid, api: api,
    "signed with another secret": lambda valid, api: LiveTokenSigner(b"k" * 32).issue(
        "support", "p_x", "alice", 60
    )[0],
    "oversized": lambda valid, api: valid + "A" * 5000,
    "non-ascii": lambda valid, api: valid + "é",
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
async def test_a_bad_token_gets_401_and_nothing_else(make_bot: BotFactory, kind: str) -> None:
    shared = await shared_number(make_bot)
    profile = await profile_of(shared)
    bad = BAD_TOKENS[kind](await live_token(shared), shared.tokens["support"])
    headers = {} if bad is None else {"Authorization": f"Bearer {bad}"}
    for method, path, body in (
        ("GET", "/state", None),
        ("GET", f"/conversations/{shared.conversation}", None),
        ("POST", f"/conversations/{shared.conversation}/messages", {"text": "hi"}),
        ("POST", f"/conversations/{shared.conversation}/claim", {}),
        ("POST", "/conversations", {"number": shared.number, "text": "hi"}),
    ):
        answer = await call(shared.bot, None, method, "/live/api" + path, body, headers=headers)
        assert answer.status == 401, (path, answer.raw)
        assert set(answer.json) == {"error"}
    query = {"profile": profile, "token": bad or ""}
    async with shared.bot.client.get("/live", params=query) as page:
        assert page.status == 401
        text = await page.text()
    assert "hello" not in text and profile not in text and "<script" not in text
    async with shared.bot.client.get("/live/api/stream", params={"token": bad or ""}) as stream:
        assert stream.status == 401
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]
    assert await shared.bot.runtime.claims.holder(shared.conversation) is None


async def test_an_expired_token_gets_401(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    answer = await issue(
        shared, "support", {"profile": await profile_of(shared), "agent": "a", "ttl": 30}
    )
    assert answer.status == 201
    signer = await shared.bot.runtime.live_tokens.signer()
    assert signer.verify(answer.json["token"]) is not None
    assert signer.verify(answer.json["token"], now=time.time() + 31) is None
    expired, _ = signer.issue("support", await profile_of(shared), "a", -1)
    assert (await live(shared, expired, "GET", "/state")).status == 401


async def test_a_live_token_is_no_api_token_and_the_page_is_for_its_profile(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "hi", OTHER_WA_ID)
    token = await live_token(shared)
    assert (await call(shared.bot, token, "GET", "/v1/conversations")).status == 401
    params = {"profile": await profile_of(shared, OTHER_WA_ID), "token": token}
    async with shared.bot.client.get("/live", params=params) as page:
        assert page.status == 403
    params["profile"] = f"wa:{WA_ID}"  # an identity of the token's profile opens it
    async with shared.bot.client.get("/live", params=params) as page:
        assert page.status == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "<script>" in await page.text()


BAD_ISSUES: list[tuple[Any, int]] = [
    ({"agent": "a"}, 400),
    ({"profile": "p_doesnotexist", "agent": "a"}, 404),
    ({"profile": "phone:not a phone", "agent": "a"}, 400),
    ({"profile": "PROFILE", "agent": ""}, 400),
    ({"profile": "PROFILE", "agent": "a\nb"}, 400),
    ({"profile": "PROFILE", "agent": "a" * 201}, 400),
    ({"profile": "PROFILE", "agent": "a", "ttl": 7200}, 400),
    ({"profile": "PROFILE", "agent": "a", "ttl": 5}, 400),
    ({"profile": "PROFILE", "agent": "a", "ttl": True}, 400),
    ({"profile": "PROFILE", "agent": "a", "ttl": "60"}, 400),
    ({"profile": "PROFILE", "agent": "a", "scope": "all"}, 400),
    ({"profile": ["PROFILE"], "agent": "a"}, 400),
    ([], 400),
    ({"profile": "x" * 70_000, "agent": "a"}, 413),
]


async def test_broken_token_requests_are_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    profile = await profile_of(shared)
    for body, status in BAD_ISSUES:
        if isinstance(body, dict):
            body = {k: (profile if v == "PROFILE" else v) for k, v in body.items()}
        answer = await issue(shared, "support", body)
        assert answer.status == status, (body if len(str(body)) < 200 else "big", answer.raw)
        assert answer.error
    raw = await call(shared.bot, shared.tokens["support"], "POST", "/v1/live-tokens", data=b"{nope")
    assert raw.status == 400
    admin = await make_bot(services=(), admin_token="admin-" + "a" * 32, whatsapp=False)
    answer = await call(admin, "admin-" + "a" * 32, "POST", "/v1/live-tokens", {"profile": profile})
    assert answer.status == 403


async def read_events(response: Any, count: int, timeout: float = 10.0) -> list[tuple[str, str]]:
    """The next ``count`` server-sent events as (event, data), comments skipped."""
    found: list[tuple[str, str]] = []
    kind, data = "message", ""
    deadline = time.monotonic() + timeout
    while len(found) < count:
        assert time.monotonic() < deadline, f"only {found} arrived"
        line = (await asyncio.wait_for(response.content.readline(), timeout)).decode()
        if line.startswith("event: "):
            kind = line[7:].strip()
        elif line.startswith("data: "):
            data = line[6:].strip()
        elif line == "\n" and data:
            found.append((kind, data))
            kind, data = "message", ""
    return found


async def test_the_stream_carries_the_profile_s_events_masked_and_no_one_else_s(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared)
    async with shared.bot.client.get("/live/api/stream", params={"token": token}) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert await read_events(stream, 1) == [("ready", "{}")]
        await say(shared.bot, "not for this page", OTHER_WA_ID)
        assert (await shared.reply("sales", SECRET, "bob")).status == 201
        ((kind, data),) = await read_events(stream, 1)
        event = json.loads(data)
        # the other customer's message came first, and was left out
        assert (kind, event["type"]) == ("message", "message.outbound")
        assert event["data"]["conversation_id"] == shared.conversation
        assert event["data"]["masked"] is True and SECRET not in data
        await say(shared.bot, "me again")
        while True:  # the reply's receipts may come first: all of them this conversation's
            ((_, data),) = await read_events(stream, 1)
            event = json.loads(data)
            assert event["data"]["conversation_id"] == shared.conversation, data
            if event["type"] == "message.inbound":
                break
        assert "me again" in data


async def test_an_uploaded_file_is_sent_by_its_signed_address(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared)
    pdf = b"%PDF-1.4 the invoice"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"}
    query = {"channel": "whatsapp", "filename": "invoice.pdf"}
    async with shared.bot.client.post(
        "/live/api/media", data=pdf, headers=headers, params=query
    ) as answer:
        assert answer.status == 201, await answer.text()
        media = (await answer.json())["media"]
    assert (media["type"], media["filename"]) == ("application/pdf", "invoice.pdf")
    body = {"media": {"type": "document", "url": media["url"], "filename": "invoice.pdf"}}
    sent = await live(shared, token, "POST", f"/conversations/{shared.conversation}/messages", body)
    assert sent.status == 201, sent.raw
    document = (await shared.graph.wait_for_sent(2))[1].body["document"]
    assert document == {"link": media["url"], "filename": "invoice.pdf"}
    path = media["url"].split("://", 1)[1].partition("/")[2]
    async with shared.bot.client.get("/" + path) as fetched:  # as Meta fetches it
        assert fetched.status == 200 and await fetched.read() == pdf
    for data, kind, status in ((b"GIF89a", "image/png", 415), (b"", "application/pdf", 400)):
        headers["Content-Type"] = kind
        async with shared.bot.client.post("/live/api/media", data=data, headers=headers) as no:
            assert no.status == status
    headers["Authorization"] = "Bearer nope"
    async with shared.bot.client.post("/live/api/media", data=pdf, headers=headers) as no:
        assert no.status == 401


async def test_the_stream_ends_when_its_token_expires(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    signer = await shared.bot.runtime.live_tokens.signer()
    key = await shared.bot.runtime.services.token_digest("support")
    token, _ = signer.issue("support", await profile_of(shared), "alice", 1.5, key)
    async with shared.bot.client.get("/live/api/stream", params={"token": token}) as stream:
        assert await read_events(stream, 2) == [("ready", "{}"), ("expired", "{}")]
        assert await stream.content.read() == b""  # and the stream is over
    assert (await live(shared, token, "GET", "/state")).status == 401


async def test_a_conversation_may_start_where_the_profile_can_be_reached(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    profiles = shared.bot.runtime.profiles
    for identity, startable in (
        (Identity("email", "ann@example.com"), []),
        (Identity("phone", "+447911000777"), [shared.number]),
    ):
        profile = await profiles.resolve([identity], channel="import")
        answer = await issue(shared, "sales", {"profile": profile, "agent": "bob"})
        state = await live(shared, answer.json["token"], "GET", "/state")
        assert state.json["conversations"] == []
        assert state.json["startable"] == startable, identity


async def test_broken_and_oversized_page_calls_send_nothing(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared)
    path = f"/live/api/conversations/{shared.conversation}/messages"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for data, status in (
        (b"{not json", 400),
        (b"[]", 400),
        (b'{"text": "x", "agent": 7}', 403),
        (b'{"text": "' + b"x" * 70_000 + b'"}', 413),
        (b'{"text": "ok"}', 201),
    ):
        answer = await call(shared.bot, None, "POST", path, data=data, headers=headers)
        assert answer.status == status, (data[:40], answer.raw)
    start = await call(
        shared.bot, None, "POST", "/live/api/conversations", data=b"x" * 70_000, headers=headers
    )
    assert start.status == 413
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "ok"]
