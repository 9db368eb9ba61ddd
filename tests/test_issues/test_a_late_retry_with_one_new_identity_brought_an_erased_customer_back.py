"""An erasure keeps a late retry of an older message from bringing the person back: a
message of theirs sent before it is dropped. But only when every identity it carried was
erased: a retry that carried one more (their username's id beside their phone, WhatsApp's
notice of their new number, the other form of a Mexican or Brazilian id) made a profile of
it under the erased name, fanned the message out whole to every service, and welcomed the
erased person again. A message sent before the erasure by any identity it erased is
dropped whole now."""

from __future__ import annotations

import time
from typing import Any

from bot.model import Identity
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, shared_number

USER_ID = "US.13491208655302741918"


def stale(payload: dict[str, Any], seconds: int) -> dict[str, Any]:
    for entry in payload["entry"]:
        for change in entry["changes"]:
            for message in change["value"].get("messages", []):
                message["timestamp"] = str(int(time.time()) - seconds)
    return payload


async def test_a_late_retry_with_another_identity_of_the_erased_person_is_dropped(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    bot, runtime = shared.bot, shared.bot.runtime
    answer = await shared.call("support", "DELETE", f"/v1/profiles/wa:{WA_ID}")
    assert answer.status == 200, answer.raw
    made = len(bot.graph.sent)
    inbound = len(bot.sinks["support"].events("message.inbound"))
    late = [
        meta.username_text(bot.phone_number_id, USER_ID, "my address is 1 High St", wa_id=WA_ID),
        meta.number_changed(bot.phone_number_id, WA_ID, "447911123999"),
    ]
    for payload in late:
        response = await bot.post_whatsapp(stale(payload, 60))
        assert response.status == 200, await response.text()
    await bot.settle()
    for identity in (Identity("wauser", USER_ID), Identity("wa", "447911123999")):
        assert await runtime.profiles.lookup(identity) == "", identity
    assert await runtime.profiles.lookup(Identity("wa", WA_ID)) == ""
    assert "High St" not in str(await runtime.conversations.timeline(shared.conversation))
    # Something after them: every service has had what came before it.
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447911123777", "hi"))
    sink = bot.sinks["support"]
    await sink.wait_for_count(inbound + 1, type="message.inbound")
    texts = [e["data"]["message"].get("text") for e in sink.events("message.inbound")[inbound:]]
    assert texts == ["hi"]
    await bot.settle()
    assert [m.to for m in bot.graph.sent[made:]] == ["447911123777"]  # its welcome alone
