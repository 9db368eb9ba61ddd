"""Bad input to /v1 (REL-4): a clear JSON error, nothing stored or sent, and the process
goes on serving."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.conftest import BotFactory
from tests.test_api import WELCOME, call, shared_number


async def test_malformed_bodies_are_refused_with_400(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["sales"]
    json_header = {"Content-Type": "application/json"}
    bad: list[bytes] = [
        b"{not json",
        b'{"text": "unterminated',
        b"\x80\x81 binary",
        b"[" * 50_000,  # deep nesting: a RecursionError inside the parser
        b'["text", "hi"]',
        b'"hi"',
        b"42",
        b"null",
        b"{}",
        b'{"agent": "bob"}',
        b'{"text": ""}',
        b'{"text": "   \\n\\t "}',
        b'{"text": 42}',
        b'{"text": ["hi"]}',
        b'{"text": "hi", "agent": 7}',
    ]
    for raw in bad:
        answer = await call(
            shared.bot, token, "POST", shared.path("messages"), data=raw, headers=json_header
        )
        assert answer.status == 400, (raw[:40], answer.raw)
        assert answer.error
    for path in (shared.path("claim"), "/v1/notifications", "/v1/events"):
        answer = await call(shared.bot, token, "POST", path, data=b"{", headers=json_header)
        assert answer.status == 400 and answer.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]
    timeline = (await shared.call("support", "GET", shared.path())).json["messages"]
    assert [m["text"] for m in timeline] == ["hello", WELCOME]
    assert (await shared.reply("sales", "still here", "bob")).status == 201


async def test_text_is_limited_to_4096_characters(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    too_long = await shared.reply("sales", "y" * 4097, "bob")
    assert too_long.status == 400
    assert "4096" in too_long.error
    assert (await shared.reply("sales", "ok", "z" * 201)).status == 400  # agent: 200 at most
    longest = "x" * 4096  # exactly WhatsApp's limit still goes out
    assert (await shared.reply("sales", longest, "bob")).status == 201
    await shared.graph.wait_for_sent(2)
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, longest]


async def _chunks(size: int) -> AsyncIterator[bytes]:
    # A streamed body carries no Content-Length: the size is known only once read.
    yield b'{"text": "'
    for _ in range(size // 8192):
        yield b"x" * 8192
    yield b'"}'


async def test_bodies_over_64_kib_get_413_and_the_process_goes_on(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["sales"]
    declared = await shared.reply("sales", "x" * 70_000, "bob")
    assert declared.status == 413 and declared.error
    streamed = await call(
        shared.bot,
        token,
        "POST",
        shared.path("messages"),
        data=_chunks(70_000),
        headers={"Content-Type": "application/json"},
    )
    assert streamed.status == 413 and streamed.error
    huge = await call(shared.bot, token, "POST", shared.path("claim"), data=_chunks(4_000_000))
    assert huge.status == 413 and huge.error
    assert (await shared.reply("sales", "after the big ones", "bob")).status == 201
    await shared.graph.wait_for_sent(2)
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "after the big ones"]


async def test_names_with_a_newline_are_404_not_a_server_error(make_bot: BotFactory) -> None:
    # Refusals quote what was asked for; a newline in it must not turn a 404 into a 503
    # (HTTP reason phrases cannot hold one).
    admin = "admin-" + "n" * 32
    shared = await shared_number(make_bot, admin_token=admin)
    for token, method, path, body in (
        (shared.tokens["support"], "GET", "/v1/conversations/c_x%0Ay", None),
        (shared.tokens["support"], "POST", "/v1/conversations/c_x%0Dy/claim", {"agent": "bob"}),
        (shared.tokens["support"], "POST", "/v1/events", {"type": "t", "number": "wa:1\nwa:2"}),
        (admin, "DELETE", "/v1/services/support%0Ax", None),
    ):
        answer = await call(shared.bot, token, method, path, body)
        assert answer.status == 404, (path, answer.raw)
        assert answer.error
