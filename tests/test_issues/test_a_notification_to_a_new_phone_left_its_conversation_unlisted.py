"""A notification to a phone nobody had yet was sent, but its conversation was never
listed with the number's (not in ``GET /v1/conversations`` nor the inbox, and left out of
later topic campaigns, whose audience is the number's listed conversations), and no
profile was made for the person (404 on a lookup, ``"profile": null`` among the
campaign's recipients), where a conversation a service starts gets both."""

from __future__ import annotations

from bot.config.notifications import NotificationSettings
from bot.config.settings import ProfileSettings, TeamMember
from tests.conftest import BotFactory
from tests.test_notifications import campaign, finished, setup

NEW_PHONE = "+447911000777"
TEMPLATE = {"name": "hello", "language": "en", "category": "utility"}


async def test_a_notification_to_a_new_phone_lists_its_conversation_with_a_profile(
    make_bot: BotFactory,
) -> None:
    shared = await setup(
        make_bot,
        notifications=NotificationSettings(quiet_hours=None),
        team=(TeamMember("owner@example.com", "Olga", "agent"),),
        profiles=ProfileSettings(default_owner="owner@example.com"),
    )
    body = {
        "number": shared.number,
        "template": TEMPLATE,
        "audience": {"profiles": [f"phone:{NEW_PHONE}"]},
    }
    nid = await campaign(shared, body)
    found = await finished(shared, nid)
    assert found["counts"]["sent"] == 1, (found["counts"], found["skipped"])

    profile = await shared.call("support", "GET", f"/v1/profiles?identity=phone:{NEW_PHONE}")
    assert profile.status == 200, profile.raw
    person = profile.json["profile"]
    assert person["owner"] == "owner@example.com"
    (cid,) = person["conversations"]
    listed = await shared.call("support", "GET", f"/v1/conversations?number={shared.number}")
    assert cid in [c["id"] for c in listed.json["conversations"]]
    recipients = await shared.call("support", "GET", f"/v1/notifications/{nid}/recipients")
    assert [r["profile"] for r in recipients.json["recipients"]] == [person["id"]]

    # A later send to a conversation already listed leaves its place in the list alone.
    before = [c["id"] for c in listed.json["conversations"]]
    other = await campaign(shared, {**body, "audience": {"conversations": [before[-1]]}})
    await finished(shared, other)
    again = await shared.call("support", "GET", f"/v1/conversations?number={shared.number}")
    assert [c["id"] for c in again.json["conversations"]] == before
