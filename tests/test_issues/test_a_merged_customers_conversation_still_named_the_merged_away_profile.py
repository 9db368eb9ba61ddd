"""After two profiles merged, the conversations of the one merged away still named it as
their ``profile`` in ``GET /v1/conversations`` and ``GET /v1/conversations/{id}`` (until
the customer wrote again): a service that files conversations by profile kept the person
as two. A merge brings the conversations' records to the survivor."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, say, shared_number
from tests.test_api_profiles import profile_of

OTHER = "447911654321"


async def test_the_merged_conversations_name_the_survivor(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "it's me again, from my other phone", wa_id=OTHER)
    first = (await profile_of(shared, f"wa:{WA_ID}"))["id"]
    second = (await profile_of(shared, f"wa:{OTHER}"))["id"]
    assert first != second

    answer = await shared.call("sales", "POST", f"/v1/profiles/{first}/merge", {"other": second})
    assert answer.status == 200, answer.raw
    survivor, merged = answer.json["profile"]["id"], answer.json["merged"]
    assert {survivor, merged} == {first, second}

    for wa_id in (WA_ID, OTHER):
        conversation = shared.bot.conversation(wa_id)
        detail = await shared.call("sales", "GET", f"/v1/conversations/{conversation}")
        assert detail.json["conversation"]["profile"] == survivor, wa_id
    listed = await shared.call("sales", "GET", "/v1/conversations")
    assert {item["profile"] for item in listed.json["conversations"]} == {survivor}
