"""Only HEAD was taken for a preview, but the apps' link preview fetchers GET a link
(Telegram's "TelegramBot (like TwitterBot)", WhatsApp's): each fetch counted as a
campaign click and gave the profile one more visitor id, until it held 50 and a real
click's browser could no longer be linked."""

from __future__ import annotations

import pytest
from aiohttp import ClientResponse

from bot.model import Identity
from tests.conftest import Bot
from tests.test_tracking import bot, customer, signer, visitor_keys

__all__ = ["bot"]

AGENTS = [
    "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Snap URL Preview Service; bot; snapchat.com/bot",
]
BROWSERS = [
    "Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 Chrome/120 Mobile",
    # In-app browsers, where people tap links: their apps' names are in them.
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "Mobile/15E148 Snapchat/12.22.0.34 (like Safari/8617.2.4.10.9, panda)",
    "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120 Mobile Viber/21.0",
]


async def followed_by(bot: Bot, agent: str) -> tuple[str, ClientResponse]:
    """A customer's tracked link, followed by a client of this user agent with no cookie."""
    ann = await customer(bot)
    path = "/l/" + (await signer(bot)).sign(ann, "m", "https://s.example/")
    bot.client.session.cookie_jar.clear()
    response = await bot.client.get(path, headers={"User-Agent": agent}, allow_redirects=False)
    return ann, response


@pytest.mark.parametrize("agent", AGENTS)
async def test_a_preview_fetch_is_answered_but_is_nobodys_click(bot: Bot, agent: str) -> None:
    ann, response = await followed_by(bot, agent)
    assert response.status == 302 and response.headers["Location"] == "https://s.example/"
    assert "Set-Cookie" not in response.headers
    assert await visitor_keys(bot) == []
    profile = await bot.runtime.profiles.get(ann)
    assert not [i for i in profile["identities"] if i.startswith("vid:")]


@pytest.mark.parametrize("browser", BROWSERS)
async def test_a_browser_whose_name_holds_bot_still_clicks(bot: Bot, browser: str) -> None:
    ann, response = await followed_by(bot, browser)
    assert response.status == 302 and "Set-Cookie" in response.headers
    vid = response.cookies["sb_vid"].value
    assert await bot.runtime.profiles.lookup(Identity("vid", vid)) == ann
