"""An answer to a command longer than a Telegram message (4,096 characters: /inbox 50 on
a busy number, a day of notes) was refused by
Telegram, and the team saw nothing, only an ERROR in the log. It now goes in several
posts, in order, each within the limit, cut after a line where one ends."""

from __future__ import annotations

from bot.team.chat import pieces
from tests.test_telegram_runtime import (  # noqa: F401
    AGENT,
    CUSTOMER,
    TEAM_CHAT,
    TelegramBot,
    tg,
)


async def test_a_long_answer_goes_in_several_posts(tg: TelegramBot) -> None:  # noqa: F811
    tg.api.customer_text(CUSTOMER, "Hello")  # the conversation, posted to the team chat
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) >= 1, timeout=15)
    notes = ["x" * 3000, "y" * 3000]
    for count, note in enumerate(notes, start=2):
        tg.api.group_text(TEAM_CHAT, AGENT, f"/note {tg.conversation()} {note}")
        await tg.api.wait_until(lambda n=count: len(tg.api.messages_to(TEAM_CHAT)) >= n)
    tg.api.group_text(TEAM_CHAT, AGENT, f"/note {tg.conversation()}")  # a day of notes
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) >= 5, timeout=15)
    posts = [m.text for m in tg.api.messages_to(TEAM_CHAT)[3:]]
    assert all(len(post) <= 4096 for post in posts)
    answer = "".join(posts)
    assert notes[0] in answer and notes[1] in answer and len(answer) > 4096


def test_pieces_cut_after_a_line_and_keep_every_character() -> None:
    text = "\n".join(f"line {n} " + "y" * 80 for n in range(120))
    cut = pieces(text)
    assert all(len(piece) <= 4096 for piece in cut) and "\n".join(cut) == text
    assert all(piece.endswith("y") for piece in cut)
    assert "".join(pieces("z" * 9000)) == "z" * 9000
    assert pieces("short") == ["short"]
