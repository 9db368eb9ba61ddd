"""With ``PUBLIC_URL`` set, a link in a reply showed in the web chat as its tracked link's
own address (``http://host/l/MQpwXzBteGN5...``, about 150 characters each): on a phone, a
reply with four links filled the screen with them, and read like phishing. The page shows
each link as written now and opens its tracked link; the customer's click still counts."""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import AUTOMATION, BotFactory
from tests.test_webchat import next_message, open_chat
from tests.test_webchat_links import rendered

TRACKED = "https://chat.example.com/l/MQpwXzBteGN5eXI4ODM1b3c2cXI1NGVqYTcK"


def test_a_tracked_link_shows_as_written_and_opens_its_tracked_link() -> None:
    url = "https://en.wikipedia.org/wiki/Foo_(bar)"
    parts = rendered(f"see {url}.", {url: TRACKED})
    assert parts == ["see ", ["a", TRACKED, url, "_blank", "noopener noreferrer nofollow"], "."]


def test_a_target_that_is_no_web_address_is_not_followed() -> None:
    url = "https://shop.example.com/sale"
    for bad in ("javascript:alert(1)", 42, None, ""):
        parts = rendered(url, {url: bad})
        assert parts == [["a", url, url, "_blank", "noopener noreferrer nofollow"]]
    # Only the link's own entry counts: nothing inherited names a target.
    assert rendered("https://a.example.com/x", {"constructor": TRACKED})[0][1] == (
        "https://a.example.com/x"
    )


async def test_the_web_chat_gets_the_text_as_written_and_each_link_s_tracked_link(
    make_bot: BotFactory,
) -> None:
    welcome = "Welcome! Our prices: https://shop.example.com/prices."
    bot = await make_bot(
        whatsapp=False,
        automation=replace(AUTOMATION, welcome=welcome),
        links=True,
        public_url="http://chat.example.com",
    )
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    message = await next_message(socket)
    await socket.close()
    assert message["text"] == welcome
    tracked = message["links"]["https://shop.example.com/prices"]
    assert tracked.startswith("http://chat.example.com/l/")
    response = await bot.client.get(
        tracked.removeprefix("http://chat.example.com"), allow_redirects=False
    )
    assert response.status == 302
    assert response.headers["Location"] == "https://shop.example.com/prices"
