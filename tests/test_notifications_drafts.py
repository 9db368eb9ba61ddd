"""Campaigns reviewed before they are sent (AU-4): a draft is created, its review shows the
recipients, the eligible, the skips by reason and the estimated cost, and its send goes to
exactly the recipients the review froze; an opt-out since the review is still honoured."""

from __future__ import annotations

import re
import time
from typing import Any

from bot.model import Identity, conversation_id
from handlers.commands import Caller
from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_api import Shared
from tests.test_notifications import Person, adds_up, finished, report, seed, setup, until

AGENT = Caller("ann@example.com", "agent")


async def draft(shared: Shared, body: dict[str, Any]) -> str:
    answer = await shared.call("support", "POST", "/v1/notifications", body | {"draft": True})
    assert answer.status == 202, answer.raw
    assert answer.json["notification"]["status"] == "draft"
    nid: str = answer.json["notification"]["id"]
    return nid


async def review(shared: Shared, nid: str) -> dict[str, Any]:
    answer = await shared.call("support", "GET", f"/v1/notifications/{nid}/review")
    assert answer.status == 200, answer.raw
    found: dict[str, Any] = answer.json["review"]
    return found


async def opt_out(shared: Shared, wa: str) -> None:
    runtime = shared.bot.runtime
    async with runtime.redis.pipeline(transaction=False) as pipe:
        runtime.conversations.queue_opt_out(
            pipe, conversation_id(shared.number, Identity("wa", wa)), True
        )
        await pipe.execute()


async def test_a_draft_is_reviewed_then_sent_to_the_frozen_audience(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    now = time.time()
    people = [
        Person("447911400001", wrote_at=now - 60),
        Person("447911400002", wrote_at=now - 60),
        Person("447911400003", wrote_at=now - 60),
        Person("447911400004", wrote_at=now - 60, opted_out=True),
        Person("447911400005", {"topics_off": "offers"}, now - 60),
    ]
    await seed(shared.bot.runtime, shared.number, people)
    body = {"number": shared.number, "text": "Draft sale", "topic": "offers"}
    nid = await draft(shared, body | {"audience": {"topic": "offers"}})
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/send")
    assert answer.status == 409 and "review" in answer.error
    assert (await report(shared, nid))["status"] == "draft"

    found = await review(shared, nid)
    # The five seeded and the customer who said hello.
    assert (found["status"], found["recipients"], found["eligible"]) == ("reviewed", 6, 4)
    assert found["skipped"]["opted_out"] == 1 and found["skipped"]["topic_conflict"] == 1
    assert sum(found["skipped"].values()) == 2
    assert found["topic_conflicts"] == {"offers": 1}
    assert found["cost"]["amount"] == 0 and found["cost"]["by_category"] == {}
    assert (await report(shared, nid))["review"] == found

    # Between review and send: a newcomer is not added, an opt-out is honoured.
    await seed(shared.bot.runtime, shared.number, [Person("447911400006", wrote_at=time.time())])
    await opt_out(shared, "447911400003")
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/send")
    assert answer.status == 202, answer.raw
    assert answer.json["notification"]["status"] == "sending"
    done = await finished(shared, nid)
    # The review's skips are in the report too, with the opt-out since.
    assert done["counts"]["recipients"] == 6 and done["counts"]["sent"] == 3
    assert done["skipped"]["opted_out"] == 2 and done["skipped"]["topic_conflict"] == 1
    assert sum(done["skipped"].values()) == 3
    assert done["status"] == "sent"
    adds_up(done)
    sent = sorted(m.to for m in shared.graph.sent if m.text == "Draft sale")
    assert sent == ["447911123456", "447911400001", "447911400002"]

    # Sent: it is neither sent again nor reviewed afresh.
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/send")
    assert answer.status == 409 and "not reviewed" in answer.error
    assert (await review(shared, nid)) == found | {"status": "sent"}


async def test_a_template_drafts_review_estimates_its_cost(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    phones = ["+447400556001", "+447400556002", "+15417543010"]
    profiles = await seed(
        runtime, shared.number, [Person(identities=(Identity("phone", p),)) for p in phones]
    )
    body = {
        "number": shared.number,
        "template": {"name": "welcome_offer", "language": "en_GB", "category": "utility"},
        "audience": {"profiles": [*profiles, profiles[0], "phone:12"]},
    }
    nid = await draft(shared, body)
    found = await review(shared, nid)
    assert (found["recipients"], found["eligible"]) == (4, 3)
    assert found["skipped"]["invalid_number"] == 1
    card = runtime.outreach.notifications.rate_card
    uk, us = card.price("44", "utility"), card.price("1", "utility")
    cost = found["cost"]
    assert cost["currency"] == card.currency
    assert cost["amount"] == round((2 * uk + us) / 1_000_000, 6)
    assert cost["by_category"]["utility"]["messages"] == 3
    assert cost["by_country"] == {"1": round(us / 1_000_000, 6), "44": round(2 * uk / 1e6, 6)}


async def test_a_draft_is_cancelled_and_bad_drafts_are_refused(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    base = {"number": shared.number, "text": "hi", "audience": {"topic": "offers"}}
    for bad, words in (({"draft": "yes"}, "'draft'"), ({"cron": "0 9 * * MON"}, "cron")):
        answer = await shared.call(
            "support", "POST", "/v1/notifications", {**base, "draft": True} | bad
        )
        assert answer.status == 400 and words in answer.error, answer.raw
    nid = await draft(shared, base)
    answer = await shared.call("sales", "GET", f"/v1/notifications/{nid}/review")
    assert answer.status == 403 and "'support'" in answer.error
    answer = await shared.call("sales", "POST", f"/v1/notifications/{nid}/send")
    assert answer.status == 403
    answer = await shared.call("support", "GET", "/v1/notifications/ntf_nope/review")
    assert answer.status == 404
    await review(shared, nid)
    answer = await shared.call("support", "DELETE", f"/v1/notifications/{nid}")
    assert answer.status == 200 and answer.json["notification"]["status"] == "cancelled"
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/send")
    assert answer.status == 409 and "cancelled" in answer.error
    found = await report(shared, nid)
    assert found["status"] == "cancelled" and found["runs"] == []
    # A campaign that is not a draft has no review.
    answer = await shared.call("support", "POST", "/v1/notifications", base)
    other = answer.json["notification"]["id"]
    answer = await shared.call("support", "GET", f"/v1/notifications/{other}/review")
    assert answer.status == 409 and "not a draft" in answer.error


async def test_the_team_drafts_reviews_and_sends(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    commands = shared.bot.runtime.commands
    now = time.time()
    people = [
        Person("447911410001", {"city": "Leeds"}, now - 60),
        Person("447911410002", {"city": "Leeds"}, now - 60, opted_out=True),
    ]
    await seed(shared.bot.runtime, shared.number, people)
    answer = await commands.run(AGENT, "/notify wa filter=city=Leeds draft Leeds: a draft")
    match = re.fullmatch(r"Drafted (ntf_\w+): /notify review \1 before sending it\.", answer)
    assert match, answer
    nid = match.group(1)
    assert "review" in await commands.run(AGENT, f"/notify send {nid}")
    review = await commands.run(AGENT, f"/notify review {nid}")
    assert review.startswith(f"{nid} ({shared.number}): reviewed "), review
    assert "recipients 2: eligible 1 (in quiet hours now 0), skipped 1 (opted_out 1)" in review
    assert f"/notify send {nid} sends it to them." in review
    assert await commands.run(AGENT, f"/notify send {nid}") == (
        f"Sending {nid} now. /notify report {nid} for its counts."
    )
    await finished(shared, nid)
    assert [m.to for m in shared.graph.sent if m.text == "Leeds: a draft"] == ["447911410001"]
    assert "not reviewed" in await commands.run(AGENT, f"/notify send {nid}")
    assert "no notification" in await commands.run(AGENT, "/notify review ntf_nope")


async def test_the_cli_drafts_reviews_and_sends(make_bot: BotFactory, prefix: str) -> None:
    shared = await setup(make_bot)
    people = [Person(f"44791142{n:04d}", {}, time.time() - 60) for n in range(3)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    env = environment(prefix) | {"SWITCHBOARD_SHARDS": "4"}
    code, out, err = await run_command(
        env, "admin", "notify", "--number", "wa", "--text", "CLI draft", "--profiles", *ids,
        "--draft",
    )  # fmt: skip
    assert code == 0, err
    match = re.fullmatch(r"drafted (ntf_\w+): admin notify-review \1 before sending it\n", out)
    assert match, out
    nid = match.group(1)
    code, _, err = await run_command(env, "admin", "notify-send", nid)
    assert code == 2 and "review" in err
    code, out, err = await run_command(env, "admin", "notify-review", nid)
    assert code == 0 and "recipients 3: eligible 3" in out, err
    assert "consent of the eligible: none 3" in out
    code, out, err = await run_command(env, "admin", "notify-send", nid)
    assert code == 0 and out == f"sending {nid}: the running bot sends it\n", err
    found = await finished(shared, nid)
    assert found["counts"]["sent"] == 3
    code, _, err = await run_command(env, "admin", "notify-review", "ntf_nope")
    assert code == 1 and "no notification" in err


async def test_a_test_send_goes_to_a_few_numbers_marked_and_uncounted(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    body = {"number": shared.number, "text": "Hi {profile.name|there}", "topic": "offers"}
    nid = await draft(shared, body | {"audience": {"topic": "offers"}})
    path = f"/v1/notifications/{nid}/test"
    answer = await shared.call("support", "POST", path, {"to": ["+447911123456", "+447400559001"]})
    assert answer.status == 202, answer.raw
    sends = answer.json["test"]["sends"]
    assert sends[0]["to"] == "phone:+447911123456" and sends[0]["id"].startswith("tst_")
    assert sends[1] == {"to": "phone:+447400559001", "skipped": "outside_window_no_template"}
    await until(lambda: [m for m in shared.graph.sent if m.text.startswith("[test] Hi")])
    (sent,) = [m for m in shared.graph.sent if m.text.startswith("[test] Hi")]
    assert sent.to == "447911123456"
    await shared.bot.settle()
    found = await report(shared, nid)
    assert found["status"] == "draft" and found["runs"] == [] and found["cost"]["amount"] == 0
    for bad in ({"to": []}, {"to": ["+4479111234"] * 6}, {"to": ["email:a@b.c"]}, {"to": "x"}):
        answer = await shared.call("support", "POST", path, bad)
        assert answer.status == 400 and "'to'" in answer.error, answer.raw
    answer = await shared.call("sales", "POST", path, {"to": ["+447911123456"]})
    assert answer.status == 403
