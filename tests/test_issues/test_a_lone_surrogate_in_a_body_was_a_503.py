"""A JSON body whose text held a lone surrogate (``"\\ud800"``, half of a UTF-16 pair, as a
client that cut an emoji in two sends it) was read, then failed where it was written to
Redis: a correctly signed WhatsApp webhook, the API's writes and the web chat's frames
were answered 503, "retry later" (Meta retries that for days). Such a body is refused
with 400 at the edge, and a frame with an error frame; nothing is kept, and the next
message goes through."""

from __future__ import annotations

import json

from tests.conftest import AUTOMATION, PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_webchat import next_message, open_chat

LONE = "a string holds a lone surrogate"


def with_text(wa_id: str, text: str) -> bytes:
    """A text message whose text is written into the JSON as given (escapes included)."""
    body = json.dumps(meta.text_message(PHONE_NUMBER_ID, wa_id, "PLACEHOLDER"))
    return body.replace("PLACEHOLDER", text).encode()


async def test_a_signed_webhook_with_a_lone_surrogate_gets_400_and_keeps_nothing(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    for n, text in enumerate(("\\ud800", "cut \\ud83d", "\\udfff tail")):
        response = await bot.post_whatsapp(with_text(f"44791300000{n}", text))
        assert response.status == 400, await response.text()
        assert LONE in (await response.json())["error"]
    ok = await bot.post_whatsapp(with_text("447913000009", "a whole emoji \\ud83d\\ude00"))
    assert ok.status == 200
    await bot.graph.wait_for_sent(1)
    assert [m.to for m in bot.graph.sent if m.text == AUTOMATION.welcome] == ["447913000009"]
    assert await bot.runtime.conversations.timeline(bot.conversation("447913000000")) == []


async def test_the_api_refuses_a_lone_surrogate_with_400(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447913000100", "hi"))
    await bot.graph.wait_for_sent(1)
    token = await bot.runtime.directory.define_token("support")
    cid = bot.conversation("447913000100")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for path, raw in (
        (f"/v1/conversations/{cid}/messages", b'{"text": "hello \\ud800"}'),
        (f"/v1/conversations/{cid}/claim", b'{"agent": "\\ud800"}'),
        (f"/v1/conversations/{cid}/notes", b'{"text": "\\udc00", "author": "ann"}'),
    ):
        response = await bot.client.post(path, data=raw, headers=headers)
        assert response.status == 400, (path, await response.text())
        assert LONE in (await response.json())["error"]
    fine = await bot.client.post(
        f"/v1/conversations/{cid}/messages", json={"text": "hello 😀"}, headers=headers
    )
    assert fine.status in (200, 201, 202), await fine.text()


async def test_a_web_chat_frame_with_a_lone_surrogate_gets_an_error_frame(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_str('{"type": "message", "id": "m1", "text": "cut \\ud83d"}')
    assert (await socket.receive_json(timeout=5))["type"] == "error"
    await socket.send_json({"type": "message", "id": "m2", "text": "hi 😀"})
    assert (await next_message(socket))["text"] == AUTOMATION.welcome
    await socket.close()
