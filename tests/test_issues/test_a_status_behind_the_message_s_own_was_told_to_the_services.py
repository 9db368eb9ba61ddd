"""Statuses arrive out of order: Twilio's ``sent`` after its ``delivered``, Meta's too.
The stored status never went back, but every callback was told to the services, so a
service saw a message go from delivered back to sent. Now a status is told only when it
moves the message on."""

from __future__ import annotations

from tests.test_sms_channel import SMSBot, sms_bot  # noqa: F401 (a fixture)


def statuses(sms: SMSBot, sid: str) -> list[str]:
    sink = sms.bot.sinks["support"]
    return [
        e["data"]["status"]
        for e in sink.events("message.status")
        if e["data"]["provider_id"] == sid
    ]


async def test_only_the_statuses_that_move_a_message_on_reach_the_services(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    await sms_bot.text("hello")
    (sent,) = await sms_bot.twilio.wait_for_sent(1)
    sink = sms_bot.bot.sinks["support"]
    for status in ("delivered", "sent", "delivered", "read"):
        assert await sms_bot.twilio.post_status(sent.sid, status) == 200
    await sms_bot.bot.settle()
    await sink.wait_for(lambda _: "read" in statuses(sms_bot, sent.sid))
    assert statuses(sms_bot, sent.sid) == ["delivered", "read"]
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    assert timeline[-1]["status"] == "read"
