"""With ``SWITCHBOARD_VISITOR_SECRET`` set, a bare ``sb_vid`` cookie counted as no visitor,
but ``POST /t/events`` still took any ``visitor_id`` in its body without its hash: whoever
knew a visitor's id wrote page views into that visitor's history, which shows on the
profile they are linked to. A body's visitor id is taken only with its ``visitor_hash``;
without it, it counts as none, as a bare cookie does: the events get a visitor of their
own."""

from __future__ import annotations

import secrets

from bot.core.visitor_tokens import visitor_hash
from bot.http.tracking import profile_activity
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_widget import SHOP

SECRET = secrets.token_hex(16)


async def test_a_visitor_id_without_its_hash_writes_nothing(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, tracking_origins=(SHOP,), visitor_secret=SECRET)
    ann = await bot.runtime.profiles.resolve([Identity("phone", "+447700900123")], channel="sms")
    path = "/l/" + (await bot.runtime.links.signer()).sign(ann, "m1", "https://s.example/")
    jar = bot.client.session.cookie_jar
    assert (await bot.client.get(path, allow_redirects=False)).status == 302
    victim = next(c.value for c in jar if c.key == "sb_vid")
    jar.clear()  # someone else, who knows the id

    forged = {"type": "page_view", "url": f"{SHOP}/forged", "visitor_id": victim}
    wrong = forged | {"visitor_hash": visitor_hash(SECRET, "someone-else-entirely")}
    for body in (forged, wrong):
        jar.clear()
        answer = await bot.client.post("/t/events", json=body, headers={"Origin": SHOP})
        assert answer.status == 202
        found = await answer.json()
        assert found["visitor_id"] != victim and found["profile"] is None
        assert found["accepted"] == 1, "its own session is still recorded"
    assert (await profile_activity(bot.runtime.tracking, ann, 10))["events"] == []
    jar.clear()

    # The site's page, which has the hash from the site's server, is taken.
    vouched = forged | {"url": f"{SHOP}/cart", "visitor_hash": visitor_hash(SECRET, victim)}
    answer = await bot.client.post("/t/events", json=[vouched], headers={"Origin": SHOP})
    assert answer.status == 202, await answer.text()
    assert (await answer.json())["visitor_id"] == victim
    events = (await profile_activity(bot.runtime.tracking, ann, 10))["events"]
    assert [event["url"] for event in events] == [f"{SHOP}/cart"]


async def test_without_the_secret_a_visitor_id_is_taken_as_before(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, tracking_origins=(SHOP,))
    event = {"type": "page_view", "url": f"{SHOP}/x", "visitor_id": "v" * 22}
    answer = await bot.client.post("/t/events", json=event, headers={"Origin": SHOP})
    assert answer.status == 202
    assert (await answer.json())["visitor_id"] == "v" * 22
