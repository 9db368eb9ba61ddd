"""On SMS, choices once offered stayed for ever: after [Red, Green, Blue] and then "How
many would you like?", the customer's "2" reached every service as the button "Green",
and the typed text was nowhere. A later message without choices ends them."""

from __future__ import annotations

from tests.test_sms_channel import SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_digit_after_another_question_is_the_typed_digit(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await sms_bot.send("Which colour?", "Red", "Green", "Blue")
    await sms_bot.send("How many would you like?")
    await sms_bot.text("2")
    answer = await sms_bot.last_inbound()
    assert (answer["kind"], answer["text"]) == ("text", "2")
    assert "payload" not in answer


async def test_a_digit_right_after_the_choices_still_picks(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await sms_bot.send("Which colour?", "Red", "Green", "Blue")
    await sms_bot.text("3")
    answer = await sms_bot.last_inbound()
    assert (answer["kind"], answer["text"], answer["payload"]) == ("button", "Blue", "b:2")
