"""With Twilio's Advanced Opt-Out, Twilio answers HELP (and its own help words, "AYUDA")
with the help message set in the Messaging Service, and tells the webhook so in
``OptOutType=HELP``; the bot answered it again, with its own text: the customer got two
answers, one of them without the business's name. A HELP Twilio says it answered gets no
answer of the bot's (as Twilio's STOP gets none); one it does not (no Advanced Opt-Out)
is answered, as carriers expect."""

from __future__ import annotations

from tests.test_issues.test_twilio_s_opt_out_type_was_ignored import _say
from tests.test_sms_channel import SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_help_twilio_answered_gets_no_second_answer(sms_bot: SMSBot) -> None:
    await _say(sms_bot, "hola")
    await sms_bot.twilio.wait_for_sent(1)  # the welcome
    await _say(sms_bot, "AYUDA", OptOutType="HELP")
    await _say(sms_bot, "HELP", OptOutType="HELP")
    await _say(sms_bot, "HELP")  # no Advanced Opt-Out: nobody else answers it
    sent = await sms_bot.twilio.wait_for_sent(2)
    assert "Reply STOP" in sent[-1].body
    await _say(sms_bot, "hours?")
    sent = await sms_bot.twilio.wait_for_sent(3)
    assert len(sent) == 3 and "Reply STOP" not in sent[-1].body
    sink = sms_bot.bot.sinks["support"]
    await sink.wait_for_count(5, type="message.inbound")
    keywords = [e["data"]["message"].get("keyword") for e in sink.events("message.inbound")]
    assert keywords == [None, "help", "help", "help", None]
