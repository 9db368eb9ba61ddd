"""A visitor's 17th chat (16 sockets a visitor, at most) says why it is refused, where the
page asks (``/webchat/visitor``); but the widget on a business's site, whose socket opens
with a visitor token rather than the cookie, was told nothing was wrong ("refused":
null), and said "Connection lost, reconnecting…" as if the network were down."""

from __future__ import annotations

from adapters import webchat
from tests.conftest import BotFactory
from tests.test_widget import SHOP, token_for, widget_bot


async def test_the_widget_is_told_a_tab_too_many_is_refused(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    bot.client.session.cookie_jar.clear()
    token = await token_for(bot)
    headers = {"Origin": SHOP}
    sockets = [
        await bot.client.ws_connect("/webchat/socket", params={"token": token}, headers=headers)
        for _ in range(webchat.TABS_PER_VISITOR)
    ]
    one_more = await bot.client.get("/webchat/socket", params={"token": token}, headers=headers)
    assert one_more.status == 429
    asked = await bot.client.get("/webchat/visitor", params={"token": token})
    assert await asked.json() == {
        "visitor": True,
        "refused": f"at most {webchat.TABS_PER_VISITOR} chats open at once: close one",
    }
    await sockets.pop().close()
    asked = await bot.client.get("/webchat/visitor", params={"token": token})
    assert await asked.json() == {"visitor": True, "refused": None}
    for socket in sockets:
        await socket.close()
