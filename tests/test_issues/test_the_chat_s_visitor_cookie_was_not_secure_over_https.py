"""With PUBLIC_URL on https, the visitor cookie set by the chat page (``/``) and the widget's
panel (``/widget``) had no ``Secure`` flag, where the tracking routes' had it and the
README promises it: it could travel in the clear. Now every route sets it alike."""

from __future__ import annotations

from tests.conftest import BotFactory


async def test_the_visitor_cookie_is_secure_when_the_chat_is_served_over_https(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, public_url="https://chat.example.test")
    for path in ("/", "/widget"):
        bot.client.session.cookie_jar.clear()
        page = await bot.client.get(path)
        assert page.status == 200, (path, page.status)
        cookie = page.headers.get("Set-Cookie", "")
        assert cookie.startswith("sb_vid="), (path, cookie)
        assert "Secure" in cookie and "HttpOnly" in cookie, (path, cookie)


async def test_over_plain_http_it_is_not_marked_secure(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    page = await bot.client.get("/")
    assert "Secure" not in page.headers.get("Set-Cookie", "")
