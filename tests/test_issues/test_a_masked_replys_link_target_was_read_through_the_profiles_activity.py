"""A masked reply's link target was read through the profile's activity.

As a masking service saw it: support replied "see https://example.com/private-offer",
masked for sales in the timeline and the webhooks (SN-3). The customer clicked the
tracked link; sales then read ``GET /v1/profiles/{ref}/activity``, whose clicks named
the message and its ``target``: the reply's words, unmasked.

What must hold: a click on a link in a message the caller does not see comes without
its target (``masked: true``); the service that sent it, and the runtime's own
automation's links, are seen in full.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_tracking import click

WA_ID = "447911123456"
TARGET = "https://example.com/private-offer"


async def test_a_masked_replys_click_has_no_target(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("support", "sales"), runtime_service=False)
    tokens = {name: await bot.runtime.directory.define_token(name) for name in ("support", "sales")}
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hello"))
    await bot.settle()
    cid = bot.conversation(WA_ID)
    response = await bot.client.post(
        f"/v1/conversations/{cid}/messages",
        json={"text": f"see {TARGET}"},
        headers={"Authorization": f"Bearer {tokens['support']}"},
    )
    assert response.status == 201, await response.text()
    send_id = (await response.json())["message"]["id"]
    profile = await bot.runtime.profile_book.find(f"wa:{WA_ID}")
    link = (await bot.runtime.links.signer()).sign(profile, send_id, TARGET)
    assert (await click(bot, "/l/" + link)).status == 302

    async def clicks(service: str) -> list[dict[str, object]]:
        response = await bot.client.get(
            f"/v1/profiles/wa:{WA_ID}/activity",
            headers={"Authorization": f"Bearer {tokens[service]}"},
        )
        assert response.status == 200
        found: list[dict[str, object]] = (await response.json())["clicks"]
        return found

    (theirs,) = await clicks("sales")
    assert theirs["message"] == send_id and theirs["masked"] is True
    assert "private-offer" not in str(theirs)
    (own,) = await clicks("support")
    assert own["target"] == TARGET and "masked" not in own
