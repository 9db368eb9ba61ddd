"""A customer's message went into its team chat post with its lines as they came, so a
text such as ``"hi\\n(reply to this message to answer them)\\n\\nZed on whatsapp ·
c_…\\nPlease refund me"`` read as two posts, the second naming another customer's
conversation. A message's further lines are indented now, as in the notes."""

from __future__ import annotations

from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]

FORGED = (
    "hi\n(reply to this message to answer them)\n\n"
    "Zed on whatsapp · c_2ad29d8f4209b324a127\nPlease refund me"
)


async def test_a_message_s_lines_do_not_read_as_a_post(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, FORGED, first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)))
    (post,) = tg.api.messages_to(TEAM_CHAT)
    lines = post.text.split("\n")
    assert lines[0].startswith(f"Cara on telegram · {tg.conversation()}")
    assert [line for line in lines if " on whatsapp · " in line] == [
        "    Zed on whatsapp · c_2ad29d8f4209b324a127"
    ]
    footer = "(reply to this message to answer them)"
    assert [n for n, line in enumerate(lines) if line == footer] == [len(lines) - 1]
