"""A visitor who had chatted on the web chat, and then clicked a tracked link sent to them
on WhatsApp in the same browser, lost their chat: the visitor id belonged to the chat's
anonymous lead, which counted as "another person" (a shared computer), so the click gave
the browser a new visitor id, and the chat opened empty; the lead was never stitched to
them. A browser whose visitor id is only an anonymous lead's is the clicker's now (as
anonymous page views are): the lead merges into the profile the link was sent to, and
the browser keeps its id and its chat. A browser of a known person is still never
merged on a click."""

from __future__ import annotations

from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_tracking import click, cookie_of, customer, lookup, signer


async def test_the_anonymous_chat_of_the_browser_joins_the_clicker(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    profiles = bot.runtime.profiles
    ann = await customer(bot, "+447700900123")
    vid = "V" * 22
    lead = await profiles.resolve([Identity("vid", vid)], channel="web")
    link = (await signer(bot)).sign(ann, "snd_1", "https://shop.example.com/offer")
    response = await click(bot, "/l/" + link, vid)
    assert response.status == 302
    assert cookie_of(response) in (None, vid), "the browser keeps its visitor id"
    survivor = await profiles.root(ann)
    assert await profiles.root(lead) == survivor
    assert await lookup(bot, vid) == survivor
    await bot.sinks["support"].wait_for_count(1, type="profile.merged")


async def test_a_known_persons_browser_is_never_merged_on_a_click(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    profiles = bot.runtime.profiles
    ann = await customer(bot, "+447700900123")
    vid = "W" * 22
    bob = await profiles.resolve(
        [Identity("vid", vid), Identity("email", "bob@example.com")], channel="web"
    )
    link = (await signer(bot)).sign(ann, "snd_1", "https://shop.example.com/offer")
    response = await click(bot, "/l/" + link, vid)
    assert response.status == 302
    fresh = cookie_of(response)
    assert fresh and fresh != vid
    assert await profiles.root(bob) == bob and await profiles.root(ann) == ann
    assert await lookup(bot, vid) == bob and await lookup(bot, fresh) == ann
