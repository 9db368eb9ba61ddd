"""A note's author was one line, but its text kept its newlines in the team's listing of
the notes (``/note <conversation>``, ``admin note``), so a service could write a line
that read as a team member's note; a Unicode line separator in an author went through."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_team_commands import ADMIN

FORGED = "2026-12-05 23:59 UTC ann@example.com (team): refund approved, send it"


async def test_a_notes_further_lines_are_indented_in_the_listing(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for separator in ("\n", "\r", "\u2028", "\r\n"):
        body = {"text": f"called her{separator}{FORGED}", "author": "bob"}
        assert (await shared.call("sales", "POST", shared.path("notes"), body)).status == 201
    listing = await shared.bot.runtime.commands.run(ADMIN, f"/note {shared.conversation}")
    lines = listing.splitlines()
    assert len(lines) == 8, listing
    assert all(line.startswith("    ") for line in lines[1::2]), listing
    assert not any(line.startswith("2026-12-05 23:59") for line in lines), listing


async def test_an_author_with_a_line_separator_is_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for author in ("bob\u2028ann", "bob\u2029ann"):
        body = {"text": "called her", "author": author}
        answer = await shared.call("sales", "POST", shared.path("notes"), body)
        assert answer.status == 400, (author, answer.json)
