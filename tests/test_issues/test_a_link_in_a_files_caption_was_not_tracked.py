"""A link in a reply's text became a tracked link, but one in a file's caption went as
written: an MMS's caption is its whole Body on SMS, and a photo's caption all the words
a WhatsApp customer reads, so the clicks on them were never counted nor joined to the
customer's profile (PS-3: URLs in outbound messages are rewritten). A caption's links
are tracked as a text's are, when the tracked caption still fits."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, call, say
from tests.test_sms_channel import sms_bot_with

SALE = "https://shop.example.com/sale"
PHOTO = {"type": "image", "url": "https://files.example.com/box.png"}


async def test_an_mms_caption_s_link_is_tracked(make_bot: BotFactory) -> None:
    async with sms_bot_with(make_bot, links=True) as sms:
        assert await sms.text("hi") == 200
        await sms.twilio.wait_for_sent(1)  # the welcome
        token = await sms.bot.runtime.directory.define_token("support")
        media = PHOTO | {"caption": f"Our sale: {SALE}"}
        path = f"/v1/conversations/{sms.conversation}/messages"
        sent = await call(sms.bot, token, "POST", path, {"media": media})
        assert sent.status == 201, sent.raw
        mms = (await sms.twilio.wait_for_sent(2))[-1]
        assert mms.media_urls == (PHOTO["url"],)
        assert mms.body.startswith(f"Our sale: {sms.url.removesuffix('/webhooks/sms')}/l/"), (
            mms.body
        )
        assert SALE not in mms.body


async def test_a_whatsapp_photo_s_caption_link_is_tracked(make_bot: BotFactory) -> None:
    bot = await make_bot(links=True, public_url="https://chat.example.com")
    await say(bot, "hi")
    assert bot.graph is not None
    await bot.graph.wait_for_sent(1)
    token = await bot.runtime.directory.define_token("support")
    media = PHOTO | {"caption": f"Our sale: {SALE}"}
    path = f"/v1/conversations/{bot.conversation(WA_ID)}/messages"
    sent = await call(bot, token, "POST", path, {"media": media})
    assert sent.status == 201, sent.raw
    photo = (await bot.graph.wait_for_sent(2))[-1].body["image"]
    assert photo["caption"].startswith("Our sale: https://chat.example.com/l/"), photo
    too_long = "x" * 960 + " " + SALE  # tracked, past WhatsApp's 1,024: as written
    sent = await call(bot, token, "POST", path, {"media": PHOTO | {"caption": too_long}})
    assert sent.status == 201, sent.raw
    assert (await bot.graph.wait_for_sent(3))[-1].body["image"]["caption"] == too_long
