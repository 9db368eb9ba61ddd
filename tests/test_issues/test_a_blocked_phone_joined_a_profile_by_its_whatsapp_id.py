"""``profiles.blocked: ["+44 20 7946 0000"]`` (a shared office line) kept the phone from
joining any profile, but not the WhatsApp id the same line writes from: its messages made
a profile of ``wa:442079460000``, and a merge then put every later message of the office
on a customer's profile. A blocked phone blocks its WhatsApp id too, and a blocked
WhatsApp id its phone."""

from __future__ import annotations

from pathlib import Path

from bot.config.settings import load_settings
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import say

OFFICE = "442079460000"


async def test_a_blocked_phones_whatsapp_id_joins_no_profile(
    make_bot: BotFactory, tmp_path: Path
) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text('profiles:\n  blocked: ["+44 20 7946 0000", "wa:447911000777"]\n')
    profiles = load_settings({"SWITCHBOARD_CONFIG": str(config)}).profiles
    bot = await make_bot(profiles=profiles)
    await say(bot, "hi from the office", wa_id=OFFICE)
    await say(bot, "hi from the other line", wa_id="447911000777")
    lookup = bot.runtime.profiles.lookup
    for identity in (
        Identity("wa", OFFICE),
        Identity("phone", f"+{OFFICE}"),
        Identity("wa", "447911000777"),
        Identity("phone", "+447911000777"),
    ):
        assert await lookup(identity) == "", identity
    # The messages went to the services all the same.
    await bot.sinks["support"].wait_for_count(2, type="message.inbound")
