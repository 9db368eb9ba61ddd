"""Drip sequences (AU-4) through the API, the emulators and the real Redis: a three-step
drip from a first contact, a workflow event and a topic joined, the stop rules (reply,
opt-out, conversion), quiet hours, reports per step and overall, crash safety between
claiming a step and handing it over, and parent-only (SN-6).

Days pass on the scheduler's clock (``Scheduler.clock``), never by sleeping."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.config.notifications import NotificationSettings, QuietHours
from bot.config.sequences import Sequence, sequence_definitions
from bot.config.settings import ConfigError, load_settings
from bot.outreach.sequences import step_id
from handlers.commands import Caller
from tests.botprocess import ROOT, run_command
from tests.config_run import environment, run_bot
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.test_admin_profiles import environment as environment_of
from tests.test_api import WA_ID, Shared, say, shared_number
from tests.test_notifications import NO_QUIET, Person, seed, until
from tests.test_openapi import SEQUENCE_TAGS, Contract, documented_routes, load

NUMBER = f"wa:{PHONE_NUMBER_ID}"
OTHER = "447911300001"
"""A second customer, the control: what happens to them shows the scheduler looked."""
DAY = 24 * 3600.0
FOLLOW_UP = {"name": "drip_follow_up", "language": "en", "category": "utility"}
OFFER = {"name": "drip_offer", "language": "en", "category": "marketing"}


def drip(trigger: dict[str, Any], **more: Any) -> tuple[Sequence, ...]:
    """The three-step drip of the README: day 0 a welcome, day 3 a follow-up, day 7 an
    offer (4 days after the follow-up)."""
    written = {
        "name": "welcome",
        "number": NUMBER,
        "trigger": trigger,
        "steps": [
            {"wait": "0d", "name": "welcome", "text": "Welcome aboard, {profile.name}!"},
            {"wait": "3d", "name": "follow-up", "template": FOLLOW_UP},
            {"wait": "4d", "name": "offer", "template": OFFER},
        ],
        "stop_on": ["reply", "opt_out", "workflow:order_placed"],
    }
    return sequence_definitions([written | more])


async def drip_in_quiet_hours(make_bot: BotFactory, **more: Any) -> Shared:
    """The README's drip on first contact (its definition changed by ``more``), on a number
    whose quiet hours hold now (an hour either side, in UTC): the customer who said hello
    has their welcome deferred."""
    now = datetime.now(UTC)
    minute = now.hour * 60 + now.minute
    quiet = QuietHours((minute - 60) % 1440, (minute + 60) % 1440)
    return await shared_number(
        make_bot,
        notifications=NotificationSettings(quiet_hours=quiet),
        sequences=drip({"first_contact": True}, **more),
    )


def later(shared: Shared, seconds: float) -> None:
    """The scheduler's clock moves ``seconds`` ahead of the wall's, and it looks now."""
    scheduler = shared.bot.runtime.outreach.scheduler
    scheduler.clock = lambda: time.time() + seconds
    scheduler.wake()


def templates(shared: Shared, name: str) -> list[Any]:
    return [
        m for m in shared.graph.sent if m.type == "template" and m.body["template"]["name"] == name
    ]


async def sequence_report(shared: Shared, caller: str = "support") -> dict[str, Any]:
    answer = await shared.call(caller, "GET", "/v1/sequences/welcome")
    assert answer.status == 200, answer.raw
    found: dict[str, Any] = answer.json["sequence"]
    return found


async def test_a_three_step_drip_from_a_first_contact(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    sent = await shared.graph.wait_for_sent(2)  # the parent's welcome, then day 0
    assert sent[-1].text == "Welcome aboard, Ann!" or "Welcome aboard" in str(sent[-1].text)
    answer = await shared.call(
        "support", "PUT", f"/v1/profiles/wa:{WA_ID}/consent", {"basis": "consent"}
    )
    assert answer.status == 200, answer.raw
    later(shared, 3 * DAY + 60)
    await until(lambda: templates(shared, "drip_follow_up"), what="the follow-up")
    assert not templates(shared, "drip_offer")
    later(shared, 7 * DAY + 120)
    await until(lambda: templates(shared, "drip_offer"), what="the offer")
    await shared.bot.settle()

    async def reported() -> dict[str, Any] | None:
        found = await sequence_report(shared)
        return found if found["counts"]["sent"] == 3 else None

    found = await until(reported, what="three sends counted")
    assert found["enrolments"] == {
        "enrolled": 1,
        "active": 0,
        "finished": 1,
        "stopped": {"reply": 0, "opt_out": 0, "converted": 0, "manual": 0, "merged": 0},
    }
    assert [step["name"] for step in found["steps"]] == ["welcome", "follow-up", "offer"]
    for step in found["steps"]:
        assert step["counts"]["recipients"] == 1 and step["counts"]["sent"] == 1
        assert sum(step["skipped"].values()) == 0
    assert len(templates(shared, "drip_follow_up")) == len(templates(shared, "drip_offer")) == 1
    assert sum(1 for m in shared.graph.sent if "Welcome aboard" in str(m.text)) == 1


def sent_to(shared: Shared, wa_id: str, template: str = "", text: str = "") -> list[Any]:
    return [
        m
        for m in shared.graph.sent
        if m.to == wa_id
        and (not template or (m.type == "template" and m.body["template"]["name"] == template))
        and (not text or text in str(m.text))
    ]


async def enrolment(shared: Shared, ref: str, caller: str = "support") -> dict[str, Any]:
    answer = await shared.call(caller, "GET", f"/v1/sequences/welcome/enrolments/{ref}")
    assert answer.status == 200, answer.raw
    found: dict[str, Any] = answer.json["enrolment"]
    return found


async def both_signed_up(
    make_bot: BotFactory, notifications: NotificationSettings = NO_QUIET
) -> Shared:
    """The drip on a workflow's ``signup``: Ann and Bo (``OTHER``) sign up, and each has
    had day 0."""
    shared = await shared_number(
        make_bot, notifications=notifications, sequences=drip({"workflow": "signup"})
    )
    await seed(
        shared.bot.runtime, shared.number, [Person(OTHER, wrote_at=time.time() - 60, name="Bo")]
    )
    for wa_id in (WA_ID, OTHER):
        body = {"type": "signup", "number": shared.number, "phone": f"+{wa_id}"}
        assert (await shared.call("support", "POST", "/v1/events", body)).status == 202
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard, Ann!"), what="day 0")
    await until(lambda: sent_to(shared, OTHER, text="Welcome aboard"), what="day 0, other")
    return shared


async def test_a_workflow_event_enrols_and_a_conversion_stops_the_rest(
    make_bot: BotFactory,
) -> None:
    shared = await both_signed_up(make_bot)
    bought = {"type": "order_placed", "number": shared.number, "phone": f"+{WA_ID}"}
    assert (await shared.call("support", "POST", "/v1/events", bought)).status == 202
    stopped = await enrolment(shared, f"wa:{WA_ID}")
    assert stopped["status"] == "stopped" and stopped["reason"] == "converted"
    later(shared, 3 * DAY + 60)
    await until(lambda: sent_to(shared, OTHER, "drip_follow_up"), what="the other's follow-up")
    assert not sent_to(shared, WA_ID, "drip_follow_up")
    found = await sequence_report(shared)
    assert found["enrolments"]["stopped"]["converted"] == 1
    assert found["enrolments"]["active"] == 1
    # Posted again (a retried webhook), the signup enrols nobody twice.
    again = {"type": "signup", "number": shared.number, "phone": f"+{OTHER}"}
    assert (await shared.call("support", "POST", "/v1/events", again)).status == 202
    assert (await sequence_report(shared))["enrolments"]["enrolled"] == 2


@pytest.mark.parametrize("said", ["Thanks, got it", "STOP"])
async def test_a_reply_or_an_opt_out_stops_the_later_steps(make_bot: BotFactory, said: str) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    await say(shared.bot, "hi there", OTHER)
    await until(lambda: sent_to(shared, OTHER, text="Welcome aboard"), what="day 0, other")
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    # WhatsApp's timestamps are whole seconds: this one is surely after the step.
    await say(shared.bot, said, timestamp=int(time.time()) + 2)
    later(shared, 3 * DAY + 60)
    await until(lambda: sent_to(shared, OTHER, "drip_follow_up"), what="the other's follow-up")
    assert not sent_to(shared, WA_ID, "drip_follow_up")
    reason = "opt_out" if said == "STOP" else "reply"
    assert (await enrolment(shared, f"wa:{WA_ID}"))["reason"] == reason
    found = await sequence_report(shared)
    assert found["enrolments"]["stopped"][reason] == 1
    assert found["steps"][1]["counts"]["recipients"] == 1  # the other's alone


async def test_a_topic_joined_enrols_only_for_the_parent(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"topic_joined": "offers"})
    )
    topics = f"/v1/profiles/wa:{WA_ID}/topics"
    answer = await shared.call("sales", "POST", topics, {"subscribe": ["offers"]})
    assert answer.status == 200  # the customer's choice is kept; sales automates nothing
    missing = await shared.call("sales", "GET", f"/v1/sequences/welcome/enrolments/wa:{WA_ID}")
    assert missing.status == 404
    answer = await shared.call("support", "POST", topics, {"subscribe": ["news", "offers"]})
    assert answer.status == 200
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    assert (await enrolment(shared, f"wa:{WA_ID}", "sales"))["status"] == "active"


async def test_quiet_hours_defer_a_step_until_they_end(make_bot: BotFactory) -> None:
    shared = await drip_in_quiet_hours(make_bot)

    async def deferred() -> bool:
        return (await sequence_report(shared))["steps"][0]["counts"]["deferred"] == 1

    await until(deferred, what="the welcome deferred")
    assert not sent_to(shared, WA_ID, text="Welcome aboard")
    later(shared, 61 * 60)
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0 at last")
    await shared.bot.settle()
    step = (await sequence_report(shared))["steps"][0]
    assert step["counts"]["deferred"] == 0 and step["counts"]["queued"] == 1


@pytest.mark.parametrize("crashed_after", ["claim", "hand_over"])
async def test_a_crash_between_claim_and_send_neither_loses_nor_repeats_a_step(
    make_bot: BotFactory, crashed_after: str
) -> None:
    """A process claims the due step and dies before (or while) handing it over: the next
    tick hands the claimed batch over, and the step goes once."""
    late = sequence_definitions(
        [
            {
                "name": "welcome",
                "number": NUMBER,
                "trigger": {"workflow": "signup"},
                "steps": [{"wait": "1d", "text": "Your first tip"}, {"wait": "1d", "text": "x"}],
            }
        ]
    )
    shared = await shared_number(make_bot, notifications=NO_QUIET, sequences=late)
    runtime = shared.bot.runtime
    sequences, scheduler = runtime.outreach.sequences, runtime.outreach.scheduler
    answer = await shared.call(
        "support", "POST", "/v1/sequences/welcome/enrolments", {"phone": f"+{WA_ID}"}
    )
    assert answer.status == 202 and answer.json["enrolled"] is True
    token = await until(lambda: scheduler.token, what="the scheduler's lease")
    member = answer.json["enrolment"]["member"]
    claimed = await sequences.store.claim(
        "welcome", [member], [DAY, DAY], token, time.time() + DAY + 1
    )
    assert claimed is not None and [(step, entries) for _, step, entries in claimed] == [
        (0, [f"p:{member}"])
    ]
    run = claimed[0][0]
    if crashed_after == "hand_over":
        assert await sequences.store.hand_over(step_id("welcome", 0), run, [f"p:{member}"]) == "new"
    assert await sequences.store.pending("welcome") == [(run, 0, [f"p:{member}"])]
    # The window is open still (the customer said hello a moment ago): a text may go.
    scheduler.wake()
    await until(lambda: sent_to(shared, WA_ID, text="Your first tip"), what="the step")
    await shared.bot.settle()
    assert await sequences.store.pending("welcome") == []
    found = await sequence_report(shared)
    assert found["steps"][0]["counts"]["recipients"] == 1
    assert found["steps"][0]["runs"] == 1
    # Handed over again (a crash before the batch was forgotten): nothing new goes.
    assert await sequences.store.hand_over(step_id("welcome", 0), run, [f"p:{member}"]) == "done"
    assert len(sent_to(shared, WA_ID, text="Your first tip")) == 1
    # A claim under an older lease token than one already seen is refused.
    stale = await sequences.store.claim("welcome", [member], [DAY, DAY], token - 1, time.time())
    assert stale is None


async def test_subscribers_may_read_but_only_the_parent_enrols(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    body = {"profile": f"wa:{WA_ID}"}
    for method, path in (
        ("POST", "/v1/sequences/welcome/enrolments"),
        ("DELETE", f"/v1/sequences/welcome/enrolments/wa:{WA_ID}"),
    ):
        answer = await shared.call("sales", method, path, body if method == "POST" else None)
        assert answer.status == 403 and "'support'" in answer.error and "parent" in answer.error
    listed = await shared.call("marketing", "GET", "/v1/sequences")
    assert [s["name"] for s in listed.json["sequences"]] == ["welcome"]
    signup = {"type": "signup", "number": shared.number, "phone": f"+{WA_ID}"}
    assert (await shared.call("sales", "POST", "/v1/events", signup)).status == 403
    assert (await sequence_report(shared, "sales"))["enrolments"]["enrolled"] == 0


async def test_the_answers_are_the_documented_ones_and_bad_input_is_refused(
    make_bot: BotFactory,
) -> None:
    contract = Contract(load())
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    listing, one = "/v1/sequences", "/v1/sequences/{name}"
    enrolments = "/v1/sequences/{name}/enrolments"
    enrolled = "/v1/sequences/{name}/enrolments/{ref}"

    async def call(
        expect: int, method: str, template: str, who: str | None, body: Any = None, **fill: str
    ) -> Any:
        path = template.format(**({"name": "welcome"} | fill))
        if who is None:
            response = await shared.bot.client.request(method, path, json=body)
            status, answer = response.status, await response.json()
        else:
            raw = body if isinstance(body, bytes) else None
            found = await (
                shared.call(who, method, path, body)
                if raw is None
                else shared.bot.client.request(
                    method,
                    path,
                    data=raw,
                    headers={"Authorization": f"Bearer {shared.tokens[who]}"},
                )
            )
            if raw is None:
                status, answer = found.status, found.json
            else:
                status, answer = found.status, await found.json()
        assert status == expect, f"{method} {path}: {answer}"
        contract.answer(method, template, status, answer)
        return answer

    answer = await call(200, "GET", listing, "sales")
    assert answer["sequences"][0]["trigger"] == {"workflow": "signup"}
    await call(401, "GET", listing, None)
    report = await call(200, "GET", one, "support")
    assert report["sequence"]["steps"][2]["template"]["name"] == "drip_offer"
    report = await call(200, "GET", one, "marketing")  # the parent's words, masked (SN-3)
    assert report["sequence"]["steps"][2]["masked"] is True
    for name in ("nope", "x" * 5000, "..", "welcome%00", "WELCOME"):
        await call(404, "GET", one, "sales", name=name)
    await call(401, "GET", one, None)

    body = {"profile": f"wa:{WA_ID}"}
    contract.request("POST", enrolments, body)
    first = await call(202, "POST", enrolments, "support", body)
    assert first["enrolled"] is True and first["enrolment"]["status"] == "active"
    twice = await call(202, "POST", enrolments, "support", {"phone": f"+{WA_ID}"})
    assert (
        twice["enrolled"] is False and twice["enrolment"]["member"] == first["enrolment"]["member"]
    )
    for bad in (
        {},
        {"phone": f"+{WA_ID}", "profile": "p_1"},
        {"phone": 447911123456},
        {"profile": "x" * 301},
        {"profile": "fax:123"},
        {"profile": f"wa:{WA_ID}", "again": "yes"},
        {"conversation": ["c_1"]},
    ):
        await call(400, "POST", enrolments, "support", bad)
    await call(400, "POST", enrolments, "support", b"[1, 2]")
    await call(400, "POST", enrolments, "support", b"{not json")
    await call(413, "POST", enrolments, "support", b"{" + b" " * (65 * 1024) + b"}")
    await call(404, "POST", enrolments, "support", {"conversation": "c_unknown"})
    await call(404, "POST", enrolments, "support", body, name="nope")
    await call(403, "POST", enrolments, "sales", body)
    await call(401, "POST", enrolments, None, body)

    shown = await call(200, "GET", enrolled, "sales", ref=f"wa:{WA_ID}")
    assert shown["enrolment"]["status"] == "active"
    await call(404, "GET", enrolled, "sales", ref="+447000000000")
    await call(404, "GET", enrolled, "sales", ref="not an identity")
    await call(400, "GET", enrolled, "sales", ref="p" * 301)
    await call(401, "GET", enrolled, None, ref=f"wa:{WA_ID}")
    await call(403, "DELETE", enrolled, "sales", ref=f"wa:{WA_ID}")
    stopped = await call(200, "DELETE", enrolled, "support", ref=f"wa:{WA_ID}")
    assert stopped["stopped"] is True and stopped["enrolment"]["reason"] == "manual"
    assert (await call(200, "DELETE", enrolled, "support", ref=f"wa:{WA_ID}"))["stopped"] is False
    await call(404, "DELETE", enrolled, "support", ref="+447000000000")
    await call(401, "DELETE", enrolled, None, ref=f"wa:{WA_ID}")
    again = await call(202, "POST", enrolments, "support", body | {"again": True})
    assert again["enrolled"] is True
    counts = (await call(200, "GET", one, "sales"))["sequence"]["enrolments"]
    assert counts == {
        "enrolled": 2,
        "active": 1,
        "finished": 0,
        "stopped": {"reply": 0, "opt_out": 0, "converted": 0, "manual": 0, "merged": 0},
    }
    tagged = documented_routes(contract.document, tagged=True, tags=SEQUENCE_TAGS)
    assert {route for route in contract.called if route in tagged} == tagged, "call all"


# --- The configuration -------------------------------------------------------------------

GOOD = """\
sequences:
  - name: welcome
    number: wa:106540352242922
    trigger: {first_contact: true}
    stop_on: [reply, opt_out, "workflow:order_placed"]
    steps:
      - {wait: 0d, text: "Welcome, {profile.name|there}!"}
      - {wait: 3d, template: {name: follow_up, language: en, category: utility}}
      - {wait: 4d, template: {name: offer, language: en, category: marketing}}
"""


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("sequences: {welcome: 1}", "sequences: must be a list"),
        ("sequences: [{name: Welcome}]", "sequences[0].name: must be lowercase letters"),
        ("sequences:\n  - name: a\n    number: fax:1\n", "sequences[0].number: must be a number"),
        (GOOD.replace("{first_contact: true}", "{}"), "a trigger is one of"),
        (GOOD.replace("{first_contact: true}", "{workflow: a, topic_joined: b}"), "one of"),
        (GOOD.replace("{first_contact: true}", "{first_contact: yes please}"), "true or false"),
        (GOOD.replace("wait: 3d", "wait: 3 days"), "is not a wait such as 0d"),
        (GOOD.replace("wait: 3d", "wait: 999d"), "a wait is at most 366 days"),
        (GOOD.replace("wait: 3d", "wait: 3"), "must be text"),
        (GOOD.replace("reply, opt_out", "reply, unsubscribe"), "a stop is reply, opt_out"),
        (GOOD.replace("category: utility}", "category: promo}"), "category is one of"),
        (GOOD.replace('text: "Welcome, {profile.name|there}!"', "text: ''"), "needs a template"),
        (GOOD.replace("    steps:", "    colour: red\n    steps:"), "colour: unknown key"),
        (GOOD + GOOD.removeprefix("sequences:\n"), "sequence 'welcome' is listed twice"),
        (GOOD.replace("wa:1065", "sms:+4477009001"), "templates are WhatsApp's"),
        (
            "sequences:\n  - name: a\n    number: wa:1\n    trigger: {workflow: a}\n"
            "    steps: []\n",
            "must have at least 1 item",
        ),
    ],
)
def test_a_broken_sequence_is_refused_with_its_line(
    tmp_path: Path, written: str, problem: str
) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(written, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings({"SWITCHBOARD_CONFIG": str(path)})
    said = "\n".join(refused.value.problems)
    assert problem in said and said.startswith(str(path)), said


async def test_config_check_and_the_schema_cover_sequences(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(GOOD, encoding="utf-8")
    settings = load_settings({"SWITCHBOARD_CONFIG": str(path)})
    (welcome,) = settings.sequences
    assert [step.wait for step in welcome.steps] == [0, 3 * DAY, 4 * DAY]
    assert welcome.conversions == {"order_placed"} and welcome.trigger == "first_contact"
    code, output = await run_bot(environment(), "config", "check", str(path))
    assert (code, output) == (0, f"{path}: valid\n")
    code, output = await run_bot(environment(), "config", "schema")
    validator = jsonschema.Draft202012Validator(json.loads(output))
    assert list(validator.iter_errors(yaml.safe_load(GOOD))) == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "sequences:" in b)
    assert list(validator.iter_errors(yaml.safe_load(example))) == []
    assert len(list(validator.iter_errors({"sequences": [{"name": "x", "steps": []}]}))) >= 3


# --- The team chat and the command line --------------------------------------------------

VIEWER = Caller("vic@example.com", "viewer")
AGENT = Caller("ann@example.com", "agent")


async def test_the_team_reads_reports_and_enrols_from_the_chat_and_the_cli(
    make_bot: BotFactory, prefix: str, tmp_path: Path
) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    commands = shared.bot.runtime.commands
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    listed = await commands.run(VIEWER, "/sequences")
    assert listed == (
        f"welcome ({NUMBER}, 3 steps, on first contact): enrolled 1: active 1, finished 0, "
        "stopped 0"
    )

    async def reported() -> str | None:
        found = await commands.run(VIEWER, "/sequences welcome")
        return found if "1. welcome (after 0d): sent 1" in found else None

    report = (await until(reported, what="the step's send counted")).split("\n")
    assert report[0].startswith(f"welcome ({NUMBER}, on first contact, stops on opt_out, ")
    assert report[2:] == [
        "1. welcome (after 0d): sent 1, delivered 0, read 0, failed 0, deferred 0, skipped 0",
        "2. follow-up (after 3d): sent 0, delivered 0, read 0, failed 0, deferred 0, skipped 0",
        "3. offer (after 4d): sent 0, delivered 0, read 0, failed 0, deferred 0, skipped 0",
    ]
    assert await commands.run(AGENT, f"/unenrol welcome wa:{WA_ID}") == (
        f"Took wa:{WA_ID} off welcome: no later step goes to them."
    )
    assert "is not on welcome now" in await commands.run(AGENT, f"/unenrol welcome wa:{WA_ID}")
    assert "ended it before" in await commands.run(AGENT, f"/enrol welcome wa:{WA_ID}")
    assert (await commands.run(AGENT, f"/enrol welcome wa:{WA_ID} again")).startswith("Enrolled")
    for line, expected in (
        ("/sequences nope", "no sequence 'nope'"),
        ("/sequences a b", "Usage: /sequences [name]"),
        ("/enrol welcome", "Usage: /enrol <sequence> <customer> [again]"),
        ("/enrol welcome fax:1", "'fax:1'"),
        ("/enrol nope +447700900123", "no sequence 'nope'"),
        ("/enrol welcome +447700900123 twice", "Usage: /enrol"),
        ("/unenrol welcome", "Usage: /unenrol <sequence> <customer>"),
    ):
        assert expected in await commands.run(AGENT, line), line
    assert await commands.run(VIEWER, f"/enrol welcome wa:{WA_ID}") == (
        "/enrol needs the agent role; you are viewer."
    )

    await until(lambda: len(sent_to(shared, WA_ID, text="Welcome aboard")) == 2, what="again")

    async def twice() -> bool:
        return "1. welcome (after 0d): sent 2" in await commands.run(VIEWER, "/sequences welcome")

    await until(twice, what="the second send counted")
    config = tmp_path / "switchboard.yaml"
    config.write_text(GOOD, encoding="utf-8")
    env = environment_of(prefix) | {"SWITCHBOARD_CONFIG": str(config)}
    code, out, err = await run_command(env, "admin", "sequences")
    assert code == 0, err
    assert out.startswith(f"welcome ({NUMBER}, 3 steps, on first contact): enrolled 2: active 1")
    code, out, err = await run_command(env, "admin", "sequences", "welcome")
    assert code == 0 and "1. step 1 (after 0d): sent 2" in out, err
    code, out, err = await run_command(env, "admin", "unenrol", "welcome", f"wa:{WA_ID}")
    assert (code, out) == (0, f"Took wa:{WA_ID} off welcome: no later step goes to them.\n"), err
    code, _, err = await run_command(env, "admin", "sequences", "nope")
    assert code == 1 and "no sequence 'nope'" in err
    code, out, _ = await run_command(env, "admin", "enrol", "--help")
    assert code == 0 and "start a customer on a drip sequence" in out.lower()


async def test_a_step_honours_topics_and_consent_and_the_drip_goes_on(
    make_bot: BotFactory,
) -> None:
    definitions = sequence_definitions(
        [
            {
                "name": "welcome",
                "number": NUMBER,
                "trigger": {"workflow": "signup"},
                "topic": "offers",
                "steps": [
                    {"wait": "0d", "text": "Our offers, {profile.name}", "category": "marketing"},
                    {"wait": "1d", "template": FOLLOW_UP},
                ],
            }
        ]
    )
    shared = await shared_number(make_bot, notifications=NO_QUIET, sequences=definitions)
    signup = {"type": "signup", "number": shared.number, "phone": f"+{WA_ID}"}
    assert (await shared.call("support", "POST", "/v1/events", signup)).status == 202

    async def skipped(step: int, reason: str) -> bool:
        return (await sequence_report(shared))["steps"][step]["skipped"][reason] == 1

    await until(lambda: skipped(0, "no_consent"), what="no consent for marketing")
    topics = f"/v1/profiles/wa:{WA_ID}/topics"
    assert (await shared.call("support", "POST", topics, {"unsubscribe": ["offers"]})).status == 200
    later(shared, DAY + 60)
    await until(lambda: skipped(1, "topic_conflict"), what="unsubscribed from offers")
    found = await sequence_report(shared)
    assert found["counts"]["sent"] == 0 and found["skipped"]["no_consent"] == 1
    assert found["enrolments"]["finished"] == 1  # skipped steps are steps gone by
    assert not sent_to(shared, WA_ID, "drip_follow_up")


async def test_a_number_without_a_parent_runs_no_sequence(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    runtime = shared.bot.runtime
    sequences, scheduler = runtime.outreach.sequences, runtime.outreach.scheduler
    for name in ("support", "sales", "marketing"):
        await runtime.directory.detach(shared.number, name)
    member, enrolled = await sequences.enrol("welcome", f"p:wa:{WA_ID}")
    assert enrolled
    token = await until(lambda: scheduler.token, what="the scheduler's lease")
    await sequences.tick(token, time.time() + 60)  # what the scheduler's tick does
    assert await sequences.store.due("welcome", time.time() + 60, 10) == [member]
    await runtime.directory.attach(shared.number, "support")
    scheduler.wake()
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0, parent back")


async def test_a_disabled_sequence_keeps_its_report_and_enrols_nobody(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True}, enabled=False)
    )
    # The customer's hello went through the pipeline (shared_number settled it).
    (listed,) = (await shared.call("sales", "GET", "/v1/sequences")).json["sequences"]
    assert listed["enabled"] is False and listed["enrolments"]["enrolled"] == 0
    body = {"phone": f"+{WA_ID}"}
    answer = await shared.call("support", "POST", "/v1/sequences/welcome/enrolments", body)
    assert answer.status == 409 and "disabled" in answer.error
    commands = shared.bot.runtime.commands
    assert "disabled" in await commands.run(AGENT, f"/enrol welcome wa:{WA_ID}")
    assert (await sequence_report(shared))["steps"][0]["counts"]["recipients"] == 0
