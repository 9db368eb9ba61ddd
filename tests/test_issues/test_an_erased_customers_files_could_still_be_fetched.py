"""Erasing a person (PS-7: "message content", media included) left the files they sent
to be fetched: a web chat visitor's upload stayed kept for its 30 days, and served by
``GET /v1/media/{id}`` and by its signed URL; a WhatsApp customer's photo was still
fetched from Meta by ``GET /v1/media/wa_…``."""

from __future__ import annotations

from yarl import URL

from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, Shared, wait_for_event
from tests.test_media_inbound import PNG, fetch, inbound_with, shared, visitor_sends_a_file

__all__ = ["shared"]


async def test_an_erased_visitors_upload_is_deleted(shared: Shared) -> None:
    bot = shared.bot
    url = (await visitor_sends_a_file(bot, "m2", "passport.png"))["media"]["url"]
    event = await wait_for_event(bot.sinks["sales"], "message.inbound", inbound_with("image"))
    media_id = event["data"]["message"]["media"]["id"]
    assert (await fetch(bot, shared.tokens["sales"], media_id))[:2] == (200, PNG)

    await bot.runtime.profile_book.erase(event["data"]["profile"])

    status, data, _ = await fetch(bot, shared.tokens["sales"], media_id)
    assert status == 404 and PNG not in data
    assert (await bot.client.get(URL(url).path)).status == 404
    pattern = f"{bot.runtime.keys.prefix}*{media_id}*"
    kept = [key async for key in bot.runtime.redis.scan_iter(match=pattern)]
    assert all(":erased:" in key for key in kept), kept


async def test_an_erased_whatsapp_customers_photo_is_not_fetched_again(shared: Shared) -> None:
    bot = shared.bot
    media_id = shared.graph.media.add_media(PNG, "image/png", bot.phone_number_id)
    payload = meta.image_message(bot.phone_number_id, WA_ID, media_id, caption="my id card")
    assert (await bot.post_whatsapp(payload)).status == 200
    event = await wait_for_event(bot.sinks["sales"], "message.inbound", inbound_with("image"))
    ref = event["data"]["message"]["media"]["ref"]
    assert (await fetch(bot, shared.tokens["marketing"], ref))[0] == 200

    await bot.runtime.profile_book.erase(f"wa:{WA_ID}")

    for service in ("sales", "marketing"):
        status, data, _ = await fetch(bot, shared.tokens[service], ref)
        assert status == 404 and PNG not in data
    assert shared.graph.media.downloads == [media_id]  # Meta was not asked again
