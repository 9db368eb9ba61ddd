"""An audio or video reply on Telegram reached the customer five times and was then
shown as failed: aiogram could not read Telegram's answer (the emulator's lacked the
duration the Bot API always gives), and a send Telegram had taken was treated as one
to try again. Sends go once: a message Telegram took is sent, whether or not the
framework can read the rest of its answer."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import call
from tests.test_media_channels import CUSTOMER, upload
from tests.test_media_inbound import telegram_files_bot

MP3 = b"ID3" + b"\x00" * 1000
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_audio_video_and_an_unreadable_answer_are_sent_once(
    make_bot: BotFactory, framework: str
) -> None:
    async with telegram_files_bot(make_bot, framework) as (bot, api, service):
        api.customer_text(CUSTOMER, "hello")
        await api.wait_for_sent(1)  # the welcome
        await bot.settle()
        number = f"tg:{api.token.partition(':')[0]}"
        (conversation,) = await bot.runtime.conversations.list_for_number(number)
        path = f"/v1/conversations/{conversation}/messages"
        for data, content_type, kind in ((MP3, "audio/mpeg", "audio"), (MP4, "video/mp4", "video")):
            media = await upload(bot, service, data, content_type, f"clip.{kind}")
            body = {"media": {"type": kind, "id": media["id"]}}
            assert (await call(bot, service, "POST", path, body)).status == 201
        api.answer_oddly("sendMessage")
        assert (await call(bot, service, "POST", path, {"text": "and one more"})).status == 201
        await api.wait_for_sent(4)
        await bot.settle()

        sends = [s.method for s in api.sent if s.chat_id == CUSTOMER]
        assert sends == ["sendMessage", "sendAudio", "sendVideo", "sendMessage"]
        timeline = await bot.runtime.conversations.timeline(conversation)
        statuses = [m.get("status") for m in timeline if m["direction"] == "outbound"]
        # PTB's types refuse an answer they cannot read whole: not sent again, and said so.
        last = "sent" if framework == "aiogram" else "failed"
        assert statuses[1:] == ["sent", "sent", last], timeline
