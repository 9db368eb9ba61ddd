"""A web chat visitor's file reached every service with an empty ``media.ref``, though
the API document (and docs/api.md) name a web chat upload's ``med_…`` as the ``ref``
with which ``GET /v1/media/{ref}`` fetches it, as for every other channel's files."""

from __future__ import annotations

from tests.test_api import Shared, wait_for_event
from tests.test_media_inbound import PNG, fetch, inbound_with, shared

__all__ = ["shared"]


async def test_a_web_chat_files_event_names_it_by_its_ref(shared: Shared) -> None:
    bot = shared.bot
    assert (await bot.client.get("/")).status == 200  # the visitor's cookie
    origin = str(bot.client.make_url("/")).rstrip("/")
    sent = await bot.client.post(
        "/webchat/files",
        params={"id": "m1", "filename": "photo.png"},
        data=PNG,
        headers={"Content-Type": "image/png", "Origin": origin},
    )
    assert sent.status == 201, await sent.text()
    event = await wait_for_event(bot.sinks["sales"], "message.inbound", inbound_with("image"))
    media = event["data"]["message"]["media"]
    assert media["ref"] == media["id"] and media["ref"].startswith("med_")
    assert (await fetch(bot, shared.tokens["sales"], media["ref"]))[:2] == (200, PNG)
