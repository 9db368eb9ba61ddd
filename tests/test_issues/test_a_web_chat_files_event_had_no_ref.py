"""A web chat visitor's file reached every service with an empty ``media.ref``, though
the API document (and docs/api.md) name a web chat upload's ``med_…`` as the ``ref``
with which ``GET /v1/media/{ref}`` fetches it, as for every other channel's files."""

from __future__ import annotations

from tests.test_api import Shared, wait_for_event
from tests.test_media_inbound import PNG, fetch, inbound_with, shared, visitor_sends_a_file

__all__ = ["shared"]


async def test_a_web_chat_files_event_names_it_by_its_ref(shared: Shared) -> None:
    bot = shared.bot
    await visitor_sends_a_file(bot, "m1", "photo.png")
    event = await wait_for_event(bot.sinks["sales"], "message.inbound", inbound_with("image"))
    media = event["data"]["message"]["media"]
    assert media["ref"] == media["id"] and media["ref"].startswith("med_")
    assert (await fetch(bot, shared.tokens["sales"], media["ref"]))[:2] == (200, PNG)
