"""With ``LOG_FORMAT=text``, a request for ``/x%0A2026-12-05 00:00:00,000 CRITICAL
switchboard: forged`` wrote its decoded path, new line and all, into the access log's
line: the text after it read as a CRITICAL line of the bot's own. A text log line keeps
its event and its context on one line now, their control characters written as escapes."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from bot.logs import TextFormatter
from tests.botprocess import BotProcess

FORGED = "2026-12-05 00:00:00,000 CRITICAL switchboard: forged"


async def test_a_new_line_in_a_request_stays_on_its_line() -> None:
    bot = BotProcess({"LOG_FORMAT": "text"})
    await asyncio.to_thread(bot.start)
    try:
        async with aiohttp.ClientSession() as client:
            path = "/x%0A" + FORGED.replace(" ", "%20")
            async with client.get(f"{bot.url}{path}") as answer:
                assert answer.status == 404
            async with client.get(f"{bot.url}/healthz") as answer:  # a line after it
                assert answer.status == 200
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
    output = bot.output()
    bot.close()
    lines = output.splitlines()
    assert not any(line.startswith(FORGED) for line in lines), output
    assert FORGED not in output  # a request to no route is logged without its path


def test_a_text_line_writes_its_control_characters_as_escapes() -> None:
    record = logging.LogRecord(
        "switchboard", logging.INFO, __file__, 1, "%s", ("x\n" + FORGED,), None
    )
    record.route = "unmatched\r\n" + FORGED
    (line,) = TextFormatter().format(record).splitlines()
    assert line.count(FORGED) == 2 and "\\n" + FORGED in line
