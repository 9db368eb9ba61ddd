"""The web chat page named its icon at the site's root (``/favicon.ico``): behind a
``PUBLIC_URL`` with a path (a proxy serving the bot under ``/chat``), and in the widget's
panel on a shop's site, the browser asked the shop for it and showed the shop's icon, or
none. It was always blue, too, whatever the page's accent colour. The page carries its
icon now, in its accent colour, and asks no address for it."""

from __future__ import annotations

import re
import urllib.parse

from adapters.webchat import Branding
from tests.conftest import BotFactory


async def test_the_page_carries_its_icon_in_its_accent_colour(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, branding=Branding(colour="#ff5500"))
    page = await (await bot.client.get("/")).text()
    (icon,) = re.findall(r'<link rel="icon"[^>]*href="([^"]*)"', page)
    assert icon.startswith("data:image/svg+xml,"), icon
    svg = urllib.parse.unquote(icon.removeprefix("data:image/svg+xml,"))
    assert svg.startswith("<svg") and 'fill="#ff5500"' in svg
    assert not re.search(r'(href|src)="/', page)  # nothing at the site's root
    root = await bot.client.get("/favicon.ico")  # still there for who asks the root
    assert root.status == 200 and 'fill="#ff5500"' in await root.text()
