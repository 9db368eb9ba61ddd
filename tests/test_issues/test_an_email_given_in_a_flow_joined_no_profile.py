"""A customer who gave their email in a guided conversation had it kept as a field of
their profile alone: the same person giving it on another channel (the web chat, then
WhatsApp) stayed two profiles, and a CRM's profile imported with that email was never
joined. An ``email`` answer now joins the customer's profile as an identity, as a tracked
link's click does: a profile holding it already is merged with theirs (the older
survives, every service hears ``profile.merged``), within the merge rules; ``stitch:
false`` on the step keeps it a field alone."""

from __future__ import annotations

from bot.config.automation import automation_settings
from bot.identities import normalize_identity
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import SHIPPED, say
from tests.test_webchat import next_message, open_chat

WA_ID = "447911600123"
FLOWS = automation_settings({"welcome": "Welcome!", "flows": SHIPPED})
ANSWERS = ("quote", "Yes", "Acme", "12")


async def test_an_email_answer_joins_the_profiles_of_one_person(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=FLOWS)
    socket, _ = await open_chat(bot)
    for n, text in enumerate((*ANSWERS, "Ann.Lee@Example.COM"), 1):
        await socket.send_json({"type": "message", "id": f"m{n}", "text": text})
        await next_message(socket)
    await socket.close()
    await bot.settle()
    lookup = bot.runtime.profiles.lookup
    email = normalize_identity("email", "Ann.Lee@Example.COM", "")
    web = await lookup(email)
    assert web, "the web visitor's profile holds the email"
    assert bot.graph is not None
    for text in ("hi", *ANSWERS, "ann.lee@example.com"):
        await say(bot, text, wa_id=WA_ID)
    await bot.settle()
    # One profile: the older survives, holding the web visitor's and the WhatsApp ids.
    survivor = await lookup(Identity("wa", WA_ID))
    assert survivor == await lookup(email)
    profile = await bot.runtime.profiles.get(survivor)
    assert {"email", "vid", "wa"} <= {key.partition(":")[0] for key in profile["identities"]}
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, type="profile.merged")
    (merged,) = sink.events("profile.merged")
    assert merged["data"]["profile"] == survivor
    assert web in (survivor, merged["data"]["merged"])


async def test_stitch_false_keeps_the_answer_a_field(make_bot: BotFactory) -> None:
    flow = {
        "start": ["newsletter"],
        "steps": [
            {
                "id": "email",
                "ask": "Your email?",
                "input": "email",
                "save": "email",
                "stitch": False,
            }
        ],
        "end": "Thanks!",
    }
    bot = await make_bot(automation=automation_settings({"flows": {"newsletter": flow}}))
    for text in ("newsletter", "bo@example.com"):
        await say(bot, text, wa_id=WA_ID)
    assert bot.graph is not None
    assert bot.graph.sent[-1].text == "Thanks!"
    assert await bot.runtime.profiles.lookup(Identity("email", "bo@example.com")) == ""
    profile = await bot.runtime.profiles.get(
        await bot.runtime.profiles.lookup(Identity("wa", WA_ID))
    )
    assert profile["fields"]["email"] == "bo@example.com"
