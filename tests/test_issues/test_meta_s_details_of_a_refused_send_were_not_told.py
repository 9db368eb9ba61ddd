"""The Graph API's refusal of a send says what is wrong in ``error.error_data.details``
(which parameter, which object), and its ``message`` is only the code's title, which
Meta is retiring: "(#100) Invalid parameter". The services' ``message.status`` failed
event and the log said that title alone, so a team whose number id the token could not
use, or whose reply had a parameter Meta refused, could not tell what to fix. The
details now follow the title, as a status webhook's are told."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700900777"


async def test_the_failed_event_carries_meta_s_details(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    bot.graph.phone_number_ids = {"999999999999999"}  # the token cannot use this number
    answer = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    assert answer.status == 200
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, "message.status")
    (failed,) = [event["data"] for event in sink.events("message.status")]
    assert failed["status"] == "failed"
    assert failed["error_code"] == "100"
    assert "(#100) Invalid parameter" in failed["error"]
    assert f"Object with ID '{bot.phone_number_id}' does not exist" in failed["error"]


async def test_details_that_repeat_the_message_are_said_once(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    bot.graph.fail_next(1, status=400, code=131009)  # details: "Parameter value is not valid"
    answer = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    assert answer.status == 200
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, "message.status")
    (failed,) = [event["data"] for event in sink.events("message.status")]
    assert failed["error"].count("Parameter value is not valid") == 1
