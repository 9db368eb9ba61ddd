"""Conversation notes over /v1: kept for the people working a conversation, read by every
service attached to its number, never sent to the customer nor fanned out."""

from __future__ import annotations

import re

from tests.conftest import BotFactory
from tests.test_api import WELCOME, all_bytes, call, shared_number, wait_for_event

ADMIN_TOKEN = "admin-" + "n" * 32


async def test_a_note_is_kept_and_every_attached_service_reads_it(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    text = "  *Called* her: <b>parcel</b> at the depot 📦\n'tomorrow' \"9am\"  "
    answer = await shared.call(
        "sales", "POST", shared.path("notes"), {"text": text, "author": "sy"}
    )
    assert answer.status == 201, answer.raw
    note = answer.json["note"]
    assert re.fullmatch(r"note_[0-9a-f]{20}", note["id"])
    assert (note["text"], note["author"], note["service"]) == (text.strip(), "sy", "sales")
    assert isinstance(note["at"], float)
    second = await shared.call("support", "POST", shared.path("notes"), {"text": "on it"})
    assert second.status == 201 and second.json["note"]["author"] == ""
    for name in ("sales", "support", "marketing"):
        listed = await shared.call(name, "GET", shared.path("notes"))
        assert listed.status == 200
        assert listed.json["notes"] == [note, second.json["note"]]  # oldest first, unmasked
    # A reply after the notes reaches every service; the notes reach none, nor the customer.
    await shared.reply("sales", "See you tomorrow", "sy")
    for sink in shared.bot.sinks.values():
        await wait_for_event(sink, "message.outbound", lambda d: d.get("agent") == "sy")
        assert b"depot" not in all_bytes(sink) and b"on it" not in all_bytes(sink)
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "See you tomorrow"]
    timeline = await shared.call("sales", "GET", shared.path())
    assert "depot" not in timeline.raw.decode()


async def test_notes_refuse_what_they_cannot_keep(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN_TOKEN)
    notes = shared.path("notes")
    for body, status in (
        ({}, 400),
        ({"text": "   "}, 400),
        ({"text": 42}, 400),
        ({"text": "x" * 4097}, 400),
        ({"text": "ok", "author": "a" * 201}, 400),
        ({"text": "ok", "author": ["ann"]}, 400),
        ({"text": "nul\u0000byte"}, 400),
        ({"text": "\u001b[31mred"}, 400),
        (["not", "an", "object"], 400),
    ):
        answer = await shared.call("sales", "POST", notes, body)
        assert answer.status == status, (body, answer.raw)
        assert answer.error
    too_big = await call(shared.bot, shared.tokens["sales"], "POST", notes, data=b"x" * 70_000)
    assert too_big.status == 413 and too_big.error
    not_json = await call(shared.bot, shared.tokens["sales"], "POST", notes, data=b"{nope")
    assert not_json.status == 400 and not_json.error
    exactly = await shared.call("sales", "POST", notes, {"text": "y" * 4096})
    assert exactly.status == 201

    # The admin token reads notes but does not write them.
    wrote = await call(shared.bot, ADMIN_TOKEN, "POST", notes, {"text": "operator here"})
    assert wrote.status == 403 and "admin token" in wrote.error
    read = await call(shared.bot, ADMIN_TOKEN, "GET", notes)
    assert read.status == 200 and [n["text"] for n in read.json["notes"]] == ["y" * 4096]

    for token in (None, "sbt_" + "z" * 43):
        for method, body in (("GET", None), ("POST", {"text": "let me in"})):
            answer = await call(shared.bot, token, method, notes, body)
            assert answer.status == 401 and answer.error

    # Outside the caller's numbers, a conversation is as unknown as a made-up one.
    await shared.bot.runtime.fanout.publish(
        await shared.bot.runtime.directory.detach(shared.number, "marketing")
    )
    for conversation in (shared.conversation, "c_" + "0" * 20):
        path = shared.path("notes", conversation)
        for method, body in (("GET", None), ("POST", {"text": "psst"})):
            answer = await shared.call("marketing", method, path, body)
            assert answer.status == 404 and answer.error, (method, answer.raw)
    listed = await shared.call("sales", "GET", notes)
    assert [n["text"] for n in listed.json["notes"]] == ["y" * 4096]
