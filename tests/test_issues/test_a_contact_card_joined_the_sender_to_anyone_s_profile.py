"""A customer's own contact card added every phone on it to their profile, and anyone can
type a number into a card: a card with the sender's number and another customer's joined
the sender to that customer's profile, or merged the two profiles. Only the number
WhatsApp ties to the sender stitches now; the card's other numbers are content."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

VICTIM, SENDER = "447700900797", "447700900999"


async def test_a_card_with_another_customer_s_number_joins_nobody(make_bot: BotFactory) -> None:
    bot = await make_bot()
    number = bot.phone_number_id
    card = meta.contact_card("Me", [("+44 7700 900999", SENDER), ("+44 7700 900797", None)])
    for payload in (
        meta.text_message(number, VICTIM, "hi", name="Vic"),
        meta.text_message(number, SENDER, "hi", name="Mal"),
        meta.contacts_message(number, SENDER, [card], name="Mal"),
    ):
        assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    sink = bot.sinks["support"]
    await sink.wait_for(lambda _: len(sink.events("message.inbound")) == 3, timeout=5)
    profile_of = {
        (e["data"]["message"]["kind"], e["data"]["customer"]): e["data"]["profile"]
        for e in sink.events("message.inbound")
    }
    victim, sender = profile_of["text", f"wa:{VICTIM}"], profile_of["text", f"wa:{SENDER}"]
    carded = profile_of["contact", f"wa:{SENDER}"]
    assert carded == sender != victim
    assert not sink.events("profile.merged")
    held = await bot.runtime.profiles.get(victim)
    assert sorted(held["identities"]) == ["phone:+447700900797", "wa:447700900797"]
    assert held["name"] == "Vic"
    theirs = await bot.runtime.profiles.get(sender)
    assert "phone:+447700900797" not in theirs["identities"]
    assert "phone:+447700900999" in theirs["identities"]
