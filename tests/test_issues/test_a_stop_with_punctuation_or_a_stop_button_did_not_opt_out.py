"""A customer who wrote "Stop.", "stop!", "Opt-out" or "opt out" (the FCC's words for
revoking consent include "opt out") stayed opted in; so did one who tapped a marketing
template's "Stop promotions" quick-reply button (payload STOP), and campaigns went on."""

from __future__ import annotations

import time

import pytest

from bot.core.keywords import keyword_of
from bot.model import Identity, Inbound
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447911120030"


def _text(channel: str, text: str) -> Inbound:
    sender = Identity("phone", "+447700900123")
    return Inbound(channel, f"{channel}:1", "m1", sender, "text", 0.0, text=text)


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "web"])
@pytest.mark.parametrize(
    "said",
    [
        "Stop.",
        "stop!",
        "Opt-out",
        "opt out",
        "'UNSUBSCRIBE'",
        # A phone's typographic quotes, ellipsis and hyphens, and Spanish's inverted marks.
        "\u2018STOP\u2019",
        "\u201cStop\u201d",
        "Stop\u2026",
        "\u00a1Stop!",
        "Opt\u2011out",
    ],
)
def test_a_stop_word_with_punctuation_opts_out(channel: str, said: str) -> None:
    assert keyword_of(_text(channel, said)) == "stop"


@pytest.mark.parametrize("said", ["stop please", "don't stop", "stop.stop", "..."])
def test_more_than_the_word_is_no_keyword(said: str) -> None:
    assert keyword_of(_text("sms", said)) is None


def _template_button(text: str, payload: str) -> dict[str, object]:
    return {
        "from": WA_ID,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "context": {"from": "15550001111", "id": meta.new_message_id()},
        "type": "button",
        "button": {"payload": payload, "text": text},
    }


@pytest.mark.parametrize(
    ("text", "payload", "opted_out"),
    [("Stop promotions", "STOP", True), ("Unsubscribe", "unsub-1", True), ("Yes", "YES", False)],
)
async def test_a_templates_stop_button_opts_the_customer_out(
    make_bot: BotFactory, text: str, payload: str, opted_out: bool
) -> None:
    bot = await make_bot()
    body = meta.raw_message(bot.phone_number_id, WA_ID, _template_button(text, payload))
    await bot.post_whatsapp(body)
    await bot.settle()
    found = await bot.runtime.conversations.meta(bot.conversation(WA_ID))
    assert (found.get("opted_out") == "1") is opted_out
