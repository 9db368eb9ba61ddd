"""The admin token reads a profile's notes, a campaign's report and a profile's campaigns
in full (the operator sees everything), yet ``GET /v1/conversations/{id}`` and ``GET
/v1/events`` masked every service's reply for it, as for a service of no name: the
operator could not read what was said. They are in full for the admin token now."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import call, shared_number
from tests.test_notifications import until

ADMIN_TOKEN = "admin-" + "m" * 32


async def test_the_admin_token_reads_every_reply_in_full(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN_TOKEN)
    answer = await shared.reply("sales", "Your parcel is at the depot.", "bob")
    assert answer.status == 201, answer.raw
    await shared.bot.settle()

    timeline = await call(shared.bot, ADMIN_TOKEN, "GET", shared.path())
    assert timeline.status == 200, timeline.raw
    replies = [m for m in timeline.json["messages"] if m["direction"] == "outbound"]
    assert [m.get("text") for m in replies] == [
        "Support here, how can we help?",
        "Your parcel is at the depot.",
    ]
    assert not any(m.get("masked") for m in replies)

    async def outbound_texts() -> list[str | None]:
        feed = await call(shared.bot, ADMIN_TOKEN, "GET", "/v1/events?limit=500")
        assert feed.status == 200, feed.raw
        events = feed.json["events"]
        return [e["data"].get("text") for e in events if e["type"] == "message.outbound"]

    both = ["Support here, how can we help?", "Your parcel is at the depot."]

    async def both_in_full() -> bool:
        return await outbound_texts() == both

    await until(both_in_full, what="both replies in full in the admin's events")
    notes = await call(shared.bot, ADMIN_TOKEN, "GET", "/v1/profiles/wa:447911123456/notes")
    assert "Your parcel is at the depot." in notes.json["notes"][0]["body"]


async def test_a_service_still_reads_other_services_replies_masked(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN_TOKEN)
    assert (await shared.reply("sales", "Your parcel is at the depot.", "bob")).status == 201
    timeline = await shared.call("marketing", "GET", shared.path())
    replies = [m for m in timeline.json["messages"] if m["direction"] == "outbound"]
    assert replies and all(m.get("masked") and "text" not in m for m in replies)
