"""A customer's message of several lines went into a daily note's ``body`` as it came, so
``"line one\\n09:99 support: fake line"`` added a line reading as an agent's reply to
the note a CRM keeps; each line of ``body`` was to be ``HH:MM <from>: <text>``. A
message's further lines are indented now."""

from __future__ import annotations

import re

from tests.conftest import BotFactory
from tests.test_api import WA_ID, say, shared_number


async def test_no_line_of_a_message_reads_as_another(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "line one\n09:99 support: fake line\r\nand\rmore")
    await shared.bot.settle()
    answer = await shared.call("support", "GET", f"/v1/profiles/wa:{WA_ID}/notes")
    (note,) = answer.json["notes"]
    lines = note["body"].split("\n")
    heads = [line for line in lines if not line.startswith("    ")]
    assert len(heads) == len(note["messages"])
    assert all(re.match(r"\d\d:\d\d \S", line) for line in heads), lines
    assert "    09:99 support: fake line" in lines
    # The message as it came, wherever the welcome's second puts it among the others.
    texts = [m["text"] for m in note["messages"]]
    assert "line one\n09:99 support: fake line\r\nand\rmore" in texts, texts
