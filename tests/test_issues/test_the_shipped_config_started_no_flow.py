"""The README promises that "callback" in the web chat starts a guided conversation, but
the shipped ``switchboard.yaml`` turned on no flow: it now turns on the two in ``flows/``,
and a fallback answer for what nothing matched."""

from __future__ import annotations

from pathlib import Path

from bot.config.settings import load_settings
from tests.conftest import BotFactory
from tests.test_fallback import answered_next
from tests.test_webchat import open_chat

ROOT = Path(__file__).resolve().parents[2]


async def test_the_shipped_config_starts_the_callback_flow(make_bot: BotFactory) -> None:
    shipped = load_settings({"SWITCHBOARD_CONFIG": str(ROOT / "switchboard.yaml")})
    assert shipped.automation.fallback
    assert {flow.name for flow in shipped.automation.flows} == {"callback", "qualify_lead"}
    bot = await make_bot(whatsapp=False, automation=shipped.automation)
    socket, _ = await open_chat(bot)
    assert await answered_next(socket, 1, "callback") == "Sure! What's your name?"
    assert await answered_next(socket, 2, "Gus") == "Thanks Gus. Which number should we call?"
    assert await answered_next(socket, 3, "07700 900123") == "When suits you?"
    await socket.close()
