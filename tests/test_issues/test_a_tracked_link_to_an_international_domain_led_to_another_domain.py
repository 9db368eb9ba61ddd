"""A tracked link to ``https://straße.de/`` answered its click with a redirect to
``strasse.de``, and one to ``βόλος.gr`` to a domain browsers do not go to: the host was
written in IDNA 2003 (Python's codec), where browsers use UTS 46 (WHATWG URL). The
customer landed on a site the business never linked, which anyone may own."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number


@pytest.mark.parametrize(
    ("written", "location"),
    [
        ("https://straße.de/ü", "https://xn--strae-oqa.de/%C3%BC"),
        ("https://βόλος.gr/", "https://xn--nxasmm1c.gr/"),
        ("https://faß.de/", "https://xn--fa-hia.de/"),
        ("https://münchen.de/", "https://xn--mnchen-3ya.de/"),
        ("https://☃.net/", "https://xn--n3h.net/"),  # a symbol browsers take too
    ],
)
async def test_a_click_goes_where_a_browser_would_have_gone(
    make_bot: BotFactory, written: str, location: str
) -> None:
    shared = await shared_number(make_bot, links=True)
    answer = await shared.reply("support", f"See {written}")
    assert answer.status == 201, answer.raw
    await shared.graph.wait_for_sent(2)
    text = shared.texts_sent()[-1] or ""
    assert "/l/" in text and written not in text
    token = text.rsplit("/l/", 1)[1]
    click = await shared.bot.client.get(f"/l/{token}", allow_redirects=False)
    assert click.status == 302
    assert click.headers["Location"] == location
