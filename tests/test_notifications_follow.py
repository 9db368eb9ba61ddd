"""Following a campaign (AU-4): its recipients by outcome, paged; a profile's campaigns;
an audience chosen by the response to an earlier campaign; a stop with its reason; a test
to the team's phones; the consent in its review. From the API, the team chat and the CLI,
with bad input refused and nothing stored."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.config.settings import TeamMember
from bot.model import Identity, conversation_id
from handlers.commands import Caller
from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_admin_profiles import environment
from tests.test_api import Shared
from tests.test_notifications import Person, campaign, finished, report, seed, setup, until
from tests.test_notifications_drafts import draft, review

NEXT_YEAR = datetime.now(UTC).year + 1
"""A new year's morning to come, whatever the year the test runs in."""
AGENT = Caller("ann@example.com", "agent")
TEAM = (
    TeamMember("ann@example.com", "Ann", "agent", phone="+447911123456"),
    TeamMember("bob@example.com", "Bob", "agent"),
)


async def recipients(
    shared: Shared, nid: str, query: str, caller: str = "support"
) -> dict[str, Any]:
    answer = await shared.call(caller, "GET", f"/v1/notifications/{nid}/recipients?{query}")
    assert answer.status == 200, answer.raw
    found: dict[str, Any] = answer.json
    return found


async def followed_campaign(shared: Shared) -> tuple[str, list[Person], list[str]]:
    """A campaign with a tracked link to four people and one bad number; then the first
    two have it delivered, the first reads it and clicks, the second reads it, the
    fourth's fails with Meta's code, and the third opts out."""
    now = time.time()
    people = [Person(f"44791170000{n}", wrote_at=now - 60) for n in range(4)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    body = {
        "number": shared.number,
        "text": "See https://shop.example.com/sale",
        "audience": {"profiles": [*ids, "phone:12"]},
    }
    nid = await campaign(shared, body)
    await finished(shared, nid)
    sent = {m.to: m for m in shared.graph.sent if "/l/" in (m.text or "")}
    phone = shared.bot.phone_number_id
    receipts = [
        meta.status_update(phone, sent[p.wa].message_id, p.wa, "delivered") for p in people[:2]
    ]
    receipts += [meta.status_update(phone, sent[p.wa].message_id, p.wa, "read") for p in people[:2]]
    receipts.append(
        meta.status_update(phone, sent[people[3].wa].message_id, people[3].wa, "failed")
    )
    assert (await shared.bot.post_whatsapp(meta.batch(*receipts))).status == 200
    token = (sent[people[0].wa].text or "").rsplit("/l/", 1)[1]
    response = await shared.bot.client.get(f"/l/{token}", allow_redirects=False)
    assert response.status == 302
    await shared.bot.post_whatsapp(meta.text_message(phone, people[2].wa, "STOP"))
    await shared.bot.settle()
    await until(lambda: _counted(shared, nid), what="the receipts to count")
    return nid, people, ids


async def _counted(shared: Shared, nid: str) -> bool:
    counts = (await report(shared, nid))["counts"]
    return bool(counts["read"] == 2 and counts["failed"] == 1)


def wa_of(items: list[dict[str, Any]]) -> list[str]:
    return sorted(item["identity"].partition(":")[2] for item in items)


async def test_recipients_by_outcome_and_a_profiles_campaigns(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, links=True)
    nid, people, ids = await followed_campaign(shared)
    wa = [p.wa for p in people]
    expected = {
        "sent": wa[:3],
        "delivered": wa[:2],
        "read": wa[:2],
        "failed": [wa[3]],
        "clicked": [wa[0]],
        "unsubscribed": [wa[2]],
    }
    for status, who in expected.items():
        found = await recipients(shared, nid, f"status={status}")
        assert (found["status"], wa_of(found["recipients"])) == (status, who), status
        assert found["next_cursor"] is None
    (failed,) = (await recipients(shared, nid, "status=failed"))["recipients"]
    assert failed["error_code"] == "131047" and failed["profile"] == ids[3]
    assert failed["conversation"] == conversation_id(shared.number, Identity("wa", wa[3]))
    (skipped,) = (await recipients(shared, nid, "status=skipped"))["recipients"]
    assert skipped["reason"] == "invalid_number" and skipped["recipient"] == "x:phone:12"
    # Paged: one at a time, each once, in the order they got there.
    seen, cursor = [], ""
    while True:
        page = await recipients(shared, nid, f"status=sent&limit=1&cursor={cursor}")
        seen += wa_of(page["recipients"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == wa[:3] and len(seen) == 3

    answer = await shared.call("sales", "GET", f"/v1/profiles/wa:{wa[0]}/campaigns")
    assert answer.status == 200, answer.raw
    (got,) = answer.json["campaigns"]
    assert got["id"] == nid and got["status"] == "sent"
    assert got["outcomes"] == {
        "sent": True,
        "delivered": True,
        "read": True,
        "failed": False,
        "clicked": True,
        "unsubscribed": False,
    }
    answer = await shared.call("support", "GET", f"/v1/profiles/{ids[2]}/campaigns")
    assert answer.json["campaigns"][0]["outcomes"]["unsubscribed"] is True
    answer = await shared.call("support", "GET", f"/v1/profiles/{ids[3]}/campaigns")
    assert answer.json["campaigns"][0]["outcomes"]["failed"] is True

    path = f"/v1/notifications/{nid}/recipients"
    for query, words in (
        ("status=opened", "'status'"),
        ("status=" + "x" * 5000, "'status'"),
        ("limit=0", "'limit'"),
        ("limit=501", "'limit'"),
        ("limit=-1", "'limit'"),
        ("limit=1e3", "'limit'"),
        ("cursor=abc", "'cursor'"),
        ("cursor=99999999999", "'cursor'"),
        ("cursor=%00", "'cursor'"),
    ):
        answer = await shared.call("support", "GET", f"{path}?{query}")
        assert answer.status == 400 and words in answer.error, (query, answer.raw)
    answer = await shared.call("support", "GET", "/v1/notifications/ntf_nope/recipients")
    assert answer.status == 404
    for ref, status in (("p_nope", 404), ("x" * 301, 400)):
        answer = await shared.call("support", "GET", f"/v1/profiles/{ref}/campaigns")
        assert answer.status == status, answer.raw
    answer = await shared.call("support", "GET", f"/v1/profiles/{ids[0]}/campaigns?limit=x")
    assert answer.status == 400


async def test_an_audience_chosen_by_the_response_to_a_campaign(
    make_bot: BotFactory, prefix: str
) -> None:
    shared = await setup(make_bot, links=True)
    nid, people, _ = await followed_campaign(shared)
    # Read it but did not click: the second only.
    body = {
        "number": shared.number,
        "text": "Still thinking about it?",
        "audience": {"filter": {"campaign": nid, "read": True, "clicked": False}},
    }
    follow_up = await draft(shared, body)
    found = await review(shared, follow_up)
    assert (found["recipients"], found["eligible"]) == (1, 1)
    assert found["audience"] == {
        "kind": "filter",
        "filter": {"campaign": nid, "read": True, "clicked": False},
    }
    assert (
        await shared.call("support", "POST", f"/v1/notifications/{follow_up}/send")
    ).status == 202
    done = await finished(shared, follow_up)
    assert done["counts"]["sent"] == 1
    assert [m.to for m in shared.graph.sent if m.text == "Still thinking about it?"] == [
        people[1].wa
    ]
    # Sent it, not delivered: nobody (the failed one never counted as sent).
    body["audience"] = {"filter": {"campaign": nid, "sent": True, "delivered": False}}
    body["text"] = "Second go"
    again = await finished(shared, await campaign(shared, body))
    assert again["counts"]["recipients"] == 1  # the third: sent, never delivered, opted out
    assert again["skipped"]["opted_out"] == 1

    base = {"number": shared.number, "text": "x"}
    for audience, words in (
        ({"campaign": "ntf_nope", "read": True}, "no campaign ntf_nope"),
        ({"campaign": nid, "opened": True}, "'opened' is not a response"),
        ({"campaign": nid, "read": "yes"}, "audience.filter.read: true or false"),
        ({"campaign": "nope"}, "a notification id"),
        ({"campaign": nid, **{f"k{n}": True for n in range(5000)}}, "is not a response"),
    ):
        answer = await shared.call(
            "support", "POST", "/v1/notifications", base | {"audience": {"filter": audience}}
        )
        assert answer.status == 400 and words in answer.error, answer.raw
    # The team chat and the command line say it as CAMPAIGN:OUTCOMES.
    commands = shared.bot.runtime.commands
    answer = await commands.run(AGENT, f"/notify wa filter={nid}:read,!clicked draft Again")
    chat_draft = answer.split()[1].rstrip(":")
    assert "recipients 1: eligible 1" in await commands.run(AGENT, f"/notify review {chat_draft}")
    assert "'opened' is not a response" in await commands.run(
        AGENT, f"/notify wa filter={nid}:opened draft Again"
    )
    env = environment(prefix) | {"SWITCHBOARD_SHARDS": "4"}
    code, out, err = await run_command(
        env, "admin", "notify", "--number", "wa", "--filter", f"{nid}:read,!clicked",
        "--text", "CLI again", "--draft",
    )  # fmt: skip
    assert code == 0 and out.startswith("drafted ntf_"), err
    code, out, err = await run_command(env, "admin", "notify-review", out.split()[1].rstrip(":"))
    assert code == 0 and "recipients 1: eligible 1" in out, err


async def test_a_campaign_is_stopped_with_a_reason(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    notifications = shared.bot.runtime.outreach.notifications
    later = time.time() + 3600
    body = {"number": shared.number, "text": "Later", "audience": {"topic": "offers"}, "at": later}
    nid = await campaign(shared, body)
    path = f"/v1/notifications/{nid}/stop"
    for bad, words in (
        ({}, "'reason'"),
        ({"reason": ""}, "'reason'"),
        ({"reason": 42}, "'reason'"),
        ({"reason": "x" * 301}, "'reason'"),
        ({"reason": "two\nlines"}, "one line"),
    ):
        answer = await shared.call("support", "POST", path, bad)
        assert answer.status == 400 and words in answer.error, answer.raw
    assert (await report(shared, nid))["status"] == "scheduled"
    answer = await shared.call("sales", "POST", path, {"reason": "not yours"})
    assert answer.status == 403
    answer = await shared.call("support", "POST", path, {"reason": "the price is wrong"})
    assert answer.status == 200, answer.raw
    stop = answer.json["notification"]["stop"]
    assert answer.json["notification"]["status"] == "stopped"
    assert (stop["reason"], stop["by"]) == ("the price is wrong", "api:support")
    found = await report(shared, nid)
    assert found["status"] == "stopped" and found["stop"] == stop and found["next_at"] is None
    assert await notifications.store.scheduled(nid) == []
    answer = await shared.call("support", "POST", path, {"reason": "again"})
    assert answer.status == 409 and "stopped" in answer.error

    # A campaign stopped while sending queues no one more.
    await seed(shared.bot.runtime, shared.number, [Person("447911710001", wrote_at=time.time())])
    spec_body = {"number": shared.number, "text": "Now", "audience": {"topic": "offers"}}
    created = await notifications.create(*_parsed(shared, spec_body), hold=300)
    assert created.status == "sending"
    await notifications.campaigns_view.stop(created.id, "wrong audience", "ann@example.com")
    result = await notifications.runs.execute(created.id, int(created.first_run))
    assert result.done and result.sent == []
    stopped = await report(shared, created.id)
    assert stopped["status"] == "stopped" and stopped["counts"]["queued"] == 0
    # Stopped between two batches: the batch queued goes, no other; the run says stopped.
    people = [Person(f"44791171001{n}", wrote_at=time.time()) for n in range(3)]
    await seed(shared.bot.runtime, shared.number, people)
    ids = [conversation_id(shared.number, Identity("wa", p.wa)) for p in people]
    listed = {"number": shared.number, "text": "Mid-run", "audience": {"conversations": ids}}
    mid = await notifications.create(*_parsed(shared, listed), hold=300)
    notifications.runs.settings = replace(notifications.runs.settings, batch=1)
    decide = notifications.runs.audience.decide

    async def decide_then_stop(*args: Any, **kwargs: Any) -> Any:
        verdicts = await decide(*args, **kwargs)
        await notifications.campaigns_view.stop(mid.id, "one is enough", "ann@example.com")
        return verdicts

    notifications.runs.audience.decide = decide_then_stop  # type: ignore[method-assign]
    try:
        result = await notifications.runs.execute(mid.id, int(mid.first_run))
    finally:
        notifications.runs.audience.decide = decide  # type: ignore[method-assign]
    assert result.done and len(result.sent) == 1
    halted = await report(shared, mid.id)
    assert halted["status"] == "stopped" and halted["counts"]["queued"] == 1
    assert [run["status"] for run in halted["runs"]] == ["stopped"]

    # A draft has nothing to stop; an old record's 'done' reads as sent.
    drafted = await draft(shared, spec_body)
    answer = await shared.call(
        "support", "POST", f"/v1/notifications/{drafted}/stop", {"reason": "x"}
    )
    assert answer.status == 409 and "draft" in answer.error
    await notifications.store.update(drafted, status="done")
    assert (await report(shared, drafted))["status"] == "sent"
    answer = await shared.call(
        "support", "POST", f"/v1/notifications/{drafted}/stop", {"reason": "x"}
    )
    assert answer.status == 409 and "is sent" in answer.error


def _parsed(shared: Shared, body: dict[str, Any]) -> Any:
    from bot.outreach.spec import parse_notification

    return parse_notification(body, service="support", region="GB", zone="UTC")


async def test_a_test_goes_to_team_members_phones(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, team=TEAM)
    nid = await draft(
        shared,
        {
            "number": shared.number,
            "text": "Hi {profile.name|there}",
            "audience": {"topic": "offers"},
        },
    )
    path = f"/v1/notifications/{nid}/test"
    answer = await shared.call("support", "POST", path, {})
    assert answer.status == 202, answer.raw
    (sent,) = answer.json["test"]["sends"]
    assert sent["to"] == "phone:+447911123456" and sent["id"].startswith("tst_")
    answer = await shared.call("support", "POST", path, {"members": ["ANN"]})
    assert answer.status == 202 and len(answer.json["test"]["sends"]) == 1
    await until(lambda: len([m for m in shared.graph.sent if m.text.startswith("[test] Hi")]) == 2)
    for bad, words in (
        ({"members": ["bob@example.com"]}, "has no phone"),
        ({"members": ["eve@example.com"]}, "not on the team"),
        ({"members": [" "]}, "not on the team"),
        ({"members": "ann"}, "'members'"),
        ({"members": [1]}, "'members'"),
        ({"members": ["x" * 255]}, "'members'"),
        ({"members": ["ann"] * 6}, "'members'"),
        (
            {"members": ["ann@example.com"], "to": [f"+4479111234{n:02d}" for n in range(5)]},
            "at most 5",
        ),
    ):
        answer = await shared.call("support", "POST", path, bad)
        assert answer.status == 400 and words in answer.error, answer.raw
    await shared.bot.settle()
    found = await report(shared, nid)
    assert found["status"] == "draft" and found["runs"] == [] and found["cost"]["amount"] == 0

    # The team chat, and the command line.
    commands = shared.bot.runtime.commands
    answer = await commands.run(AGENT, f"/notify test {nid}")
    assert answer.startswith(
        f"Test of {nid}, marked [test] and not counted:\n+447911123456: sent as tst_"
    )
    assert "has no phone" in await commands.run(AGENT, f"/notify test {nid} bob")
    assert "no notification" in await commands.run(AGENT, "/notify test ntf_nope")
    assert "Usage: /notify" in await commands.run(AGENT, "/notify test")


async def test_no_team_phone_is_a_clear_refusal(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    nid = await draft(
        shared, {"number": shared.number, "text": "Hi", "audience": {"topic": "offers"}}
    )
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/test", {})
    assert answer.status == 400 and "no team member has a phone" in answer.error


async def test_the_review_shows_consent_by_basis(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    now = time.time()
    people = [
        Person("447911720001", {"consent": "consent", "city": "York"}, now - 60),
        Person("447911720002", {"consent": "legitimate_interest", "city": "York"}, now - 60),
        Person("447911720003", {"city": "York"}, now - 60),
    ]
    await seed(shared.bot.runtime, shared.number, people)
    body = {
        "number": shared.number,
        "text": "York sale",
        "audience": {"filter": {"field": "city", "equals": "York"}},
    }
    marketing = await review(shared, await draft(shared, body | {"category": "marketing"}))
    assert marketing["consent"] == {
        "required": True,
        "by_basis": {"consent": 1, "legitimate_interest": 1},
        "no_consent": 1,
    }
    utility = await review(shared, await draft(shared, body))
    assert utility["consent"] == {
        "required": False,
        "by_basis": {"consent": 1, "legitimate_interest": 1, "none": 1},
        "no_consent": 0,
    }
    commands = shared.bot.runtime.commands
    text = await commands.run(AGENT, f"/notify review {marketing['id']}")
    expected = "consent of the eligible: consent 1, legitimate_interest 1; marketing needs it"
    assert f"{expected}: no_consent 1 skipped" in text
    answer = await shared.call(
        "marketing", "PUT", "/v1/profiles/wa:447911720003/consent", {"basis": "consent"}
    )
    assert answer.status == 200
    shown = await commands.run(AGENT, "/profile wa:447911720003")
    assert re.search(
        r"^consent: consent \(from api:marketing, \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$", shown, re.M
    ), shown
    shown = await commands.run(AGENT, "/profile wa:447911720001")
    assert "consent: consent (from ?, ?)" in shown or "consent: consent" in shown


async def test_the_team_follows_and_stops_a_campaign(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, links=True)
    nid, people, ids = await followed_campaign(shared)
    commands = shared.bot.runtime.commands
    read = await commands.run(AGENT, f"/notify recipients {nid} read")
    assert read.startswith(f"{nid}, read:\nwa:{people[0].wa}") or read.startswith(
        f"{nid}, read:\nwa:{people[1].wa}"
    )
    assert len(read.splitlines()) == 3
    failed = await commands.run(AGENT, f"/notify recipients {nid} failed")
    assert "(error 131047)" in failed
    assert "(invalid_number)" in await commands.run(AGENT, f"/notify recipients {nid} skipped")
    clicked = await commands.run(AGENT, f"/notify recipients {nid} clicked")
    assert clicked.startswith(f"{nid}, clicked:\nwa:{people[0].wa} {ids[0]} at ")
    assert len(clicked.splitlines()) == 2
    mine = await commands.run(AGENT, f"/notify profile wa:{people[0].wa}")
    assert mine.startswith(f"Campaigns of {ids[0]}:\n{nid} ({shared.number}, sent) queued ")
    assert mine.endswith("sent, delivered, read, clicked")
    for line, words in (
        (f"/notify recipients {nid} opened", "'opened' is none of"),
        (f"/notify recipients {nid} sent abc", "'cursor'"),
        ("/notify recipients ntf_nope", "no notification"),
        (f"/notify stop {nid}", "Say why"),
        (f"/notify stop {nid} " + "x" * 301, "at most 300"),
        (f"/notify stop {nid} done already", "is sent: there is nothing to stop"),
        ("/notify profile p_nope", "p_nope"),
        ("/notify profile", "Usage: /notify"),
    ):
        assert words in await commands.run(AGENT, line), line
    later = await commands.run(
        AGENT, f"/notify wa topic=offers at={NEXT_YEAR}-01-01T09:00 Happy new year"
    )
    scheduled = later.split()[1]
    stopped = await commands.run(AGENT, f"/notify stop {scheduled} wrong year")
    assert stopped.startswith(f"Stopped {scheduled}: no one more is queued.\n{scheduled} (")
    assert stopped.endswith("wrong year") and "stopped by ann@example.com at" in stopped


async def test_the_cli_tests_stops_and_follows(make_bot: BotFactory, prefix: str) -> None:
    shared = await setup(make_bot, links=True)
    nid, people, ids = await followed_campaign(shared)
    env = environment(prefix) | {"SWITCHBOARD_SHARDS": "4"}
    code, out, err = await run_command(env, "admin", "notify-recipients", nid, "failed")
    assert code == 0 and f"wa:{people[3].wa} {ids[3]} at " in out and "(error 131047)" in out, err
    code, out, err = await run_command(env, "admin", "notify-recipients", nid, "sent")
    assert code == 0 and len(out.splitlines()) == 4, (out, err)
    code, out, err = await run_command(env, "admin", "notify-profile", f"wa:{people[1].wa}")
    assert code == 0 and out.startswith(f"Campaigns of {ids[1]}:\n{nid}") and "read" in out, err
    code, out, err = await run_command(env, "admin", "notify-test", nid, "--to", "+447911123456")
    assert code == 0 and "+447911123456: sent as tst_" in out, err
    code, out, err = await run_command(env, "admin", "notify-stop", nid, "too", "late")
    assert code == 1 and "is sent: there is nothing to stop" in err
    for args, expected in (
        (("notify-recipients", nid, "opened"), 2),
        (("notify-recipients", nid, "sent", "x1"), 2),
        (("notify-recipients", "ntf_nope"), 1),
        (("notify-test", nid, "--to", "tg:1"), 2),
        (("notify-test", nid, "eve@example.com"), 2),
        (("notify-profile", "p_nope"), 1),
        (("notify-stop", nid, "x" * 301), 2),
    ):
        code, _, err = await run_command(env, "admin", *args)
        assert code == expected and "Traceback" not in err, (args, code, err)
    later = await campaign(
        shared,
        {
            "number": shared.number,
            "text": "x",
            "audience": {"topic": "offers"},
            "at": time.time() + 3600,
        },
    )
    code, out, err = await run_command(env, "admin", "notify-stop", later, "wrong", "day")
    assert code == 0 and out.startswith(f"{later} (") and "stopped by operator" in out, err
    assert (await report(shared, later))["stop"]["reason"] == "wrong day"
