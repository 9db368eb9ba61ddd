"""Every visit to the web chat asked for /favicon.ico and got a 404; now the page links one."""

from __future__ import annotations

import re
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
    assert re.search(r'<link rel="icon"[^>]* href="/favicon.ico"', page)
