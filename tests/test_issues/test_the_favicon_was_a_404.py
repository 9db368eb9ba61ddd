"""Every visit to the web chat asked for /favicon.ico and got a 404; now the page links one
(carried in the page itself, so that it is the chat's behind any path), and
/favicon.ico answers it too."""

from __future__ import annotations

import re
import urllib.parse
from xml.etree import ElementTree

from tests.conftest import BotFactory


async def test_the_favicon_is_an_image_the_page_links(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    icon = await bot.client.get("/favicon.ico")
    assert icon.status == 200
    assert icon.content_type.startswith("image/")
    body = await icon.read()
    assert ElementTree.fromstring(body).tag == "{http://www.w3.org/2000/svg}svg"

    page = await (await bot.client.get("/")).text()
    (linked,) = re.findall(r'<link rel="icon"[^>]* href="data:image/svg\+xml,([^"]*)"', page)
    assert urllib.parse.unquote(linked) == body.decode()
