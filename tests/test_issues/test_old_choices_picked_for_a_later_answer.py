"""On SMS, choices once offered stayed for ever: after [Red, Green, Blue] and then "How
many would you like?", the customer's "2" reached every service as the button "Green",
and the typed text was nowhere. A later message without choices ends them."""

from __future__ import annotations

from bot.model import Identity, Outbound
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def _send(sms_bot: SMSBot, text: str, *buttons: str) -> None:
    runtime = sms_bot.bot.runtime
    sent = len(sms_bot.twilio.sent)
    outbound = Outbound(
        send_id=f"snd_later{sent}",
        conversation_id=sms_bot.conversation,
        channel="sms",
        number=f"sms:{OURS}",
        recipient=Identity("phone", CUSTOMER),
        text=text,
        service="support",
        buttons=buttons,
    )
    await runtime.sender.send(outbound, runtime.shard_of(sms_bot.conversation))
    await sms_bot.twilio.wait_for_sent(sent + 1)


async def _last_inbound(sms_bot: SMSBot) -> dict[str, str]:
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    return [m for m in timeline if m["direction"] == "inbound"][-1]


async def test_a_digit_after_another_question_is_the_typed_digit(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await _send(sms_bot, "Which colour?", "Red", "Green", "Blue")
    await _send(sms_bot, "How many would you like?")
    await sms_bot.text("2")
    answer = await _last_inbound(sms_bot)
    assert (answer["kind"], answer["text"]) == ("text", "2")
    assert "payload" not in answer


async def test_a_digit_right_after_the_choices_still_picks(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await _send(sms_bot, "Which colour?", "Red", "Green", "Blue")
    await sms_bot.text("3")
    answer = await _last_inbound(sms_bot)
    assert (answer["kind"], answer["text"], answer["payload"]) == ("button", "Blue", "b:2")
