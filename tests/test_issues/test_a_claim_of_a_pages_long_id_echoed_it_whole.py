"""``/claim`` (and every command that names a conversation) given a pages-long run of
letters and digits answered "no conversation <all of it>": 3,000 characters said back
to the team chat, where Telegram refuses a post past 4,096, and kept whole in the audit
trail. No conversation id is that long (``c_`` and 20 hex digits): such a reference is
refused as no conversation id, quoted and cut short."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_commands import team_bot


async def test_a_pages_long_conversation_id_is_refused_cut_short(make_bot: BotFactory) -> None:
    _, desk, commands = await team_bot(make_bot)
    ann = await desk.caller_for_telegram(1001)
    assert ann is not None
    for command in ("/claim", "/release", "/note"):
        answer = await commands.run(
            ann, f"{command} {'a1' * 1500}" + (" hello" if command == "/note" else "")
        )
        assert "is not a conversation id" in answer, answer
        assert len(answer) < 200, answer
