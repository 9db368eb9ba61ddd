"""An answer to a command longer than a Telegram message (4,096 characters: /inbox 50 on
a busy number, a day of notes, a refusal that names a long argument) was refused by
Telegram, and the team saw nothing, only an ERROR in the log. It now goes in several
posts, in order, each within the limit, cut after a line where one ends."""

from __future__ import annotations

from bot.team.chat import pieces
from tests.test_telegram_runtime import AGENT, TEAM_CHAT, TelegramBot, tg  # noqa: F401


async def test_a_long_answer_goes_in_several_posts(tg: TelegramBot) -> None:  # noqa: F811
    tg.api.group_text(TEAM_CHAT, AGENT, "/claim " + "x" * 4900)
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) >= 2, timeout=15)
    posts = [m.text for m in tg.api.messages_to(TEAM_CHAT)]
    assert all(len(post) <= 4096 for post in posts)
    answer = "".join(posts)  # the refusal names the conversation it did not find
    assert answer.startswith("no conversation xxx") and len(answer) > 4096


def test_pieces_cut_after_a_line_and_keep_every_character() -> None:
    text = "\n".join(f"line {n} " + "y" * 80 for n in range(120))
    cut = pieces(text)
    assert all(len(piece) <= 4096 for piece in cut) and "\n".join(cut) == text
    assert all(piece.endswith("y") for piece in cut)
    assert "".join(pieces("z" * 9000)) == "z" * 9000
    assert pieces("short") == ["short"]
