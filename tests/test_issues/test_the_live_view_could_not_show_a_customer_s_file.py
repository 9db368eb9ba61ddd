"""The live view's page holds a live token, not the service's API token: a customer's file
named by ``media.ref`` in its timeline had no route it could fetch it through, so a photo
could not be shown. ``GET /live/api/media/{ref}`` serves the files of the token's profile's
conversations alone."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, call, say, shared_number
from tests.test_api_live import OTHER_WA_ID, live_token
from tests.test_widget import PNG as SMALL_PNG
from tests.test_widget import open_socket, token_for, widget_bot

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


async def test_the_live_view_fetches_its_profile_s_files_and_no_other(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    bot = shared.bot
    ours = shared.graph.media.add_media(PNG, "image/png", bot.phone_number_id)
    theirs = shared.graph.media.add_media(PNG, "image/png", bot.phone_number_id)
    await say(bot, "I am someone else", OTHER_WA_ID)
    for wa_id, media_id in ((WA_ID, ours), (OTHER_WA_ID, theirs)):
        payload = meta.image_message(bot.phone_number_id, wa_id, media_id)
        assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    token = await live_token(shared)

    headers = {"Authorization": f"Bearer {token}"}
    async with bot.client.get(f"/live/api/media/wa_{ours}", headers=headers) as response:
        assert response.status == 200
        assert (await response.read(), response.content_type) == (PNG, "image/png")
    # another customer's file on the same number, a made-up ref: unknown to this page
    for ref in (f"wa_{theirs}", "wa_123456789", "med_nothing", "x" * 5000):
        answer = await call(bot, token, "GET", f"/live/api/media/{ref}")
        assert answer.status == 404, (ref, answer.raw)
    assert shared.graph.media.downloads == [ours]
    forged = await call(bot, token[:-3] + "abc", "GET", f"/live/api/media/wa_{ours}")
    assert forged.status == 401


async def test_the_live_view_fetches_a_web_chat_visitor_s_file(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    token = await token_for(bot)
    socket, _ = await open_socket(bot, token)
    params = {"token": token, "id": "f1", "filename": "shoe.png"}
    headers = {"Content-Type": "image/png"}
    sent = await bot.client.post("/webchat/files", params=params, data=SMALL_PNG, headers=headers)
    assert sent.status == 201, await sent.text()
    await socket.close()
    await bot.sinks["support"].wait_for_count(1, type="message.inbound")
    record = bot.sinks["support"].events("message.inbound")[0]["data"]
    service = await bot.runtime.directory.define_token("support")
    issued = await call(
        bot, service, "POST", "/v1/live-tokens", {"profile": record["profile"], "agent": "ann"}
    )
    assert issued.status == 201, issued.raw
    live = issued.json["token"]
    path = f"/live/api/media/{record['message']['media']['id']}"
    async with bot.client.get(path, headers={"Authorization": f"Bearer {live}"}) as response:
        assert (response.status, await response.read()) == (200, SMALL_PNG)
