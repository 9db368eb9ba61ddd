"""``/inbox`` shows each conversation's last message in a line. A customer's shared place
showed there as "[location]" and a contact card as "[contact]", where the team chat's
post of the same message says the place and the card: the line says them too now."""

from __future__ import annotations

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_team_commands import VIEWER, team


async def test_inbox_shows_the_place_and_the_card(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    bot = t.shared.bot
    for wa_id in ("447911222401", "447911222402"):  # welcomed first: the line is their last
        assert (
            await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, wa_id, "hi"))
        ).status == 200
    await bot.settle()
    for n, payload in enumerate(
        (
            meta.location_message(
                PHONE_NUMBER_ID, "447911222401", 51.5033, -0.1196, place="Depot", address="Quay"
            ),
            meta.contacts_message(
                PHONE_NUMBER_ID,
                "447911222402",
                [meta.contact_card("Bo Lee", [("+44 7911 000999", None)])],
            ),
        )
    ):
        assert (await bot.post_whatsapp(payload)).status == 200, n
    await bot.settle()
    inbox = await t.run(VIEWER, "/inbox")
    assert "customer: [location] Depot, Quay (51.5033, -0.1196)" in inbox, inbox
    assert "customer: [contact] Bo Lee +44 7911 000999" in inbox, inbox
