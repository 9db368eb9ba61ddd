"""On SMS, a carrier's keyword that was also an offered choice was taken as the choice:
"Cancel" to [Continue, Cancel] opted nobody out, "HELP" to [..., Help, ...] got no help,
and "Yes" after a STOP did not opt back in. The carrier acts on these words whatever was
offered, so the bot does too."""

from __future__ import annotations

from bot.core.keywords import DEFAULT_SMS_HELP
from bot.model import Identity, Outbound
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def _offer(sms_bot: SMSBot, *buttons: str) -> None:
    runtime = sms_bot.bot.runtime
    sent = len(sms_bot.twilio.sent)
    outbound = Outbound(
        send_id=f"snd_offer{sent}",
        conversation_id=sms_bot.conversation,
        channel="sms",
        number=f"sms:{OURS}",
        recipient=Identity("phone", CUSTOMER),
        text="Pick one",
        service="support",
        buttons=buttons,
    )
    await runtime.sender.send(outbound, runtime.shard_of(sms_bot.conversation))
    await sms_bot.twilio.wait_for_sent(sent + 1)


async def _opted_out(sms_bot: SMSBot) -> bool:
    meta = await sms_bot.bot.runtime.conversations.meta(sms_bot.conversation)
    return meta.get("opted_out") == "1"


async def _last_inbound(sms_bot: SMSBot) -> dict[str, str]:
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    return [m for m in timeline if m["direction"] == "inbound"][-1]


async def test_cancel_offered_as_a_choice_still_opts_out(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await _offer(sms_bot, "Continue", "Cancel")
    await sms_bot.text("Cancel")
    assert await _opted_out(sms_bot)
    assert (await _last_inbound(sms_bot))["kind"] == "text"


async def test_help_offered_as_a_choice_is_still_answered(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await _offer(sms_bot, "Track order", "Help", "End")
    await sms_bot.text("HELP")
    sent = await sms_bot.twilio.wait_for_sent(3)
    assert sent[-1].body == DEFAULT_SMS_HELP
    await sms_bot.text("END")
    assert await _opted_out(sms_bot)


async def test_yes_after_a_stop_opts_back_in_and_before_it_picks(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await _offer(sms_bot, "Yes", "No")
    await sms_bot.text("yes")  # not opted out: the answer to the question
    picked = await _last_inbound(sms_bot)
    assert (picked["kind"], picked["text"]) == ("button", "Yes")
    await _offer(sms_bot, "Yes", "No")
    await sms_bot.text("STOP")
    assert await _opted_out(sms_bot)
    await sms_bot.text("Yes")  # opted out: Twilio lifts its block on YES, and so do we
    assert not await _opted_out(sms_bot)
    assert (await _last_inbound(sms_bot))["kind"] == "text"
