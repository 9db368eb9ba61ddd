"""The web chat's visitor cookie was set once, on the first visit, for a year, and never
again: a visitor who came back every week still lost their chat (its history, their
profile's link to the browser) a year after the first visit, when the cookie ran out,
although what the browser's visitor did is kept a year after the last time. The chat's
pages give a returning visitor their cookie again now, for a year from that visit."""

from __future__ import annotations

from bot.http.tracking import COOKIE_MAX_AGE, VISITOR_COOKIE, VISITOR_HASH_COOKIE
from tests.conftest import BotFactory

SECRET = "site-secret-0123456789"


async def test_the_chat_page_gives_a_returning_visitor_their_cookie_for_another_year(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, visitor_secret=SECRET, tracking_origins=())
    first = await bot.client.get("/")
    visitor = first.cookies[VISITOR_COOKIE].value
    kept = first.cookies[VISITOR_HASH_COOKIE].value
    for page in ("/", "/widget"):
        again = await bot.client.get(page)  # the browser sends both cookies back
        assert again.status == 200
        assert again.cookies[VISITOR_COOKIE].value == visitor, page
        assert again.cookies[VISITOR_COOKIE]["max-age"] == str(COOKIE_MAX_AGE)
        assert again.cookies[VISITOR_HASH_COOKIE].value == kept
        assert again.cookies[VISITOR_HASH_COOKIE]["max-age"] == str(COOKIE_MAX_AGE)
