"""``POST /v1/live-tokens`` refused an agent with a control character, a new line or a
tab, but took one with a line or paragraph separator (U+2028, U+2029), which a reply
refuses: the token was issued, and every reply and claim
of its page then answered 400, "'agent' is one line". A live token's agent is now checked
as a reply's is, when the token is asked for."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_live import issue, live, live_token, profile_of


@pytest.mark.parametrize("agent", ["bob\u2028ann", "bob\u2029ann", "bob\rann"])
async def test_an_agent_its_page_cannot_act_as_gets_no_token(
    make_bot: BotFactory, agent: str
) -> None:
    shared = await shared_number(make_bot)
    answer = await issue(shared, "sales", {"profile": await profile_of(shared), "agent": agent})
    assert answer.status == 400, answer.raw
    assert "token" not in answer.json


async def test_a_token_s_agent_can_reply_and_claim(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared, "sales", " bob ")
    path = f"/conversations/{shared.conversation}"
    claimed = await live(shared, token, "POST", path + "/claim", {})
    assert claimed.status == 200, claimed.raw
    assert claimed.json["claim"]["agent"] == "bob"
    sent = await live(shared, token, "POST", path + "/messages", {"text": "On it"})
    assert sent.status == 201, sent.raw
