"""With ``SWITCHBOARD_VISITOR_SECRET`` set, ``POST /webchat/token`` took a visitor id only
with its hash, but the chat's socket (and its file uploads) still took any ``sb_vid``
cookie, which any HTTP client writes: whoever knew a visitor's id read their chat and
wrote as them with a cookie. Where the bot checks visitor ids, the cookie counts only with
the hash the bot set beside it (``sb_vh``); a page, a tracked link or a web event with a
bare cookie gets a visitor of its own."""

from __future__ import annotations

import secrets

from tests.conftest import BotFactory
from tests.test_webchat import next_message, open_chat
from tests.test_widget import SHOP


async def test_a_bare_cookie_opens_no_one_s_chat(make_bot: BotFactory) -> None:
    bot = await make_bot(
        whatsapp=False, tracking_origins=(SHOP,), visitor_secret=secrets.token_hex(16)
    )
    jar = bot.client.session.cookie_jar
    socket, _ = await open_chat(bot)  # the visitor, with the cookies the page gave
    await socket.send_json({"type": "message", "id": "m1", "text": "my address is 1 Lane"})
    await next_message(socket)
    await socket.close()
    cookies = {c.key: c.value for c in jar}
    victim = cookies["sb_vid"]
    assert set(cookies) == {"sb_vid", "sb_vh"}

    jar.clear()  # someone who knows the id, and writes the cookie themselves
    jar.update_cookies({"sb_vid": victim})
    assert (await bot.client.get("/webchat/socket")).status == 400
    answer = await bot.client.get("/webchat/visitor")
    assert (await answer.json())["visitor"] is False
    page = await bot.client.get("/")
    assert page.cookies["sb_vid"].value != victim  # a visitor of their own
    event = {"type": "page_view", "url": f"{SHOP}/x"}
    jar.clear()
    jar.update_cookies({"sb_vid": victim})
    posted = await bot.client.post("/t/events", json=event, headers={"Origin": SHOP})
    found = await posted.json()
    assert found["visitor_id"] != victim and found["profile"] is None

    jar.clear()  # the visitor again, with both cookies: their chat
    jar.update_cookies(cookies)
    socket = await bot.client.ws_connect("/webchat/socket")
    history = await socket.receive_json(timeout=5)
    assert history["messages"][0]["text"] == "my address is 1 Lane"
    await socket.close()


async def test_without_the_secret_the_cookie_is_as_before(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.close()
    assert {c.key for c in bot.client.session.cookie_jar} == {"sb_vid"}
