"""The team's commands on conversations and services (OPS-1, OPS-2, OPS-4), run through the
desk on a real bot: WhatsApp customers, the Graph API emulator and the services' sinks."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from bot.model import Identity, conversation_id
from bot.team.desk import TeamDesk, preview
from handlers.commands import Caller, Commands
from tests.botprocess import run_command
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_admin_profiles import environment
from tests.test_api import WA_ID, WELCOME, Shared, all_bytes, say, shared_number, wait_for_event

ADMIN = Caller("ann@example.com", "admin")
AGENT = Caller("bob@example.com", "agent")
VIEWER = Caller("vic@example.com", "viewer")
OTHER_WA_ID = "447911222333"
NUMBER = f"wa:{PHONE_NUMBER_ID}"


@dataclass
class Team:
    """One shared number (support the parent, sales, marketing), Ann in, and the team."""

    shared: Shared
    desk: TeamDesk
    commands: Commands

    @property
    def cid(self) -> str:
        return self.shared.conversation

    async def run(self, caller: Caller | None, line: str) -> str:
        return await self.commands.run(caller, line)

    def sent(self) -> list[str | None]:
        return self.shared.texts_sent()


async def team(make_bot: BotFactory, **overrides: Any) -> Team:
    shared = await shared_number(make_bot, **overrides)
    return Team(shared, shared.bot.runtime.desk, shared.bot.runtime.commands)


def by(service: str, agent: str) -> Any:
    return lambda data: (data.get("service"), data.get("agent")) == (service, agent)


async def test_inbox_lists_recent_conversations_newest_first(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    payload = meta.text_message(PHONE_NUMBER_ID, OTHER_WA_ID, "Where is order #12?", name="Omar")
    assert (await t.shared.bot.post_whatsapp(payload)).status == 200
    await t.shared.bot.settle()
    other = t.shared.bot.conversation(OTHER_WA_ID)
    await t.shared.call("support", "POST", t.shared.path("claim"), {"agent": "alice"})
    await t.run(AGENT, f"/optout {other}")

    inbox = await t.run(VIEWER, "/inbox")
    first, second = inbox.split("\n")[0:2], inbox.split("\n")[2:4]
    assert first[0].startswith(f"{other} Omar (wa:{OTHER_WA_ID}) - whatsapp ")
    assert first[0].endswith("opted out") and "held by" not in first[0]
    assert second[0].startswith(f"{t.cid} Ann (wa:{WA_ID}) - whatsapp ")
    assert second[0].endswith("held by alice of support")
    assert second[1] == f"  support: {WELCOME}"  # the team sees every reply, unmasked
    assert first[1] in ("  customer: Where is order #12?", f"  support: {WELCOME}")
    assert (await t.run(VIEWER, "/inbox 1")).count("\n") == 1
    for bad in ("/inbox 0", "/inbox 51", "/inbox x"):
        assert await t.run(VIEWER, bad) == "N is a number from 1 to 50\nUsage: /inbox [n]"
    assert await t.run(VIEWER, "/inbox 1 2") == "Usage: /inbox [n]"


async def test_claim_warns_of_the_holder_and_every_service_hears(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    await t.shared.call("support", "POST", t.shared.path("claim"), {"agent": "alice"})
    answer = await t.run(AGENT, f"/claim {t.cid[:9]}")  # a prefix is enough
    lines = answer.split("\n")
    assert lines[0] == f"You hold {t.cid} now."
    assert lines[1].startswith("Warning: alice of support has held this conversation since ")
    for sink in t.shared.bot.sinks.values():
        event = await wait_for_event(sink, "conversation.claimed", by("team", AGENT.name))
        assert event["data"]["previous"]["agent"] == "alice"
        assert event["data"]["conversation_id"] == t.cid
    assert await t.run(AGENT, f"/claim {t.cid}") == f"You hold {t.cid} now."  # no warning
    # A service replying now hears that the team's agent holds it.
    answer_of_sales = await t.shared.reply("sales", "Sales here", "sy")
    assert answer_of_sales.json["warning"]["holder"] == {
        "service": "team",
        "agent": AGENT.name,
        "since": answer_of_sales.json["warning"]["holder"]["since"],
    }
    assert f"Warning: {AGENT.name} of team has held" in await t.run(ADMIN, f"/claim {t.cid}")


async def test_release_is_the_holders_alone(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    assert await t.run(AGENT, f"/release {t.cid}") == f"Nobody holds {t.cid}."
    await t.run(AGENT, f"/claim {t.cid}")
    other = Caller("cy@example.com", "agent")
    assert await t.run(other, f"/release {t.cid}") == (
        f"{AGENT.name} of team holds {t.cid}, not you."
    )
    assert await t.run(AGENT, f"/release {t.cid}") == f"Released {t.cid}."
    for sink in t.shared.bot.sinks.values():
        event = await wait_for_event(sink, "conversation.released", by("team", AGENT.name))
        assert event["data"]["reason"] == "released"
    assert await t.shared.bot.runtime.claims.holder(t.cid) is None


HOSTILE_TEXTS = [
    "*bold* _italic_ `code` [link](http://x.test) <b>html</b> & <script>alert(1)</script>",
    'Ünïcödé 🎉👩‍👩‍👧 — «guillemets» \'single\' "double" "unclosed $HOME; rm -rf / | cat',
    "two\nlines\tand a  double  space",
]


async def test_reply_reaches_the_customer_verbatim(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    await t.shared.call("support", "POST", t.shared.path("claim"), {"agent": "alice"})
    for text in HOSTILE_TEXTS:
        answer = await t.run(AGENT, f"/reply {t.cid}   {text}  ")
        assert answer.startswith(f"Sent to Ann (wa:{WA_ID}) ({t.cid}): snd_"), answer
        assert "Warning: alice of support has held" in answer
    longest = "x" * 4096
    assert (await t.run(AGENT, f"/reply {t.cid} {longest}")).startswith("Sent to Ann")
    await t.shared.graph.wait_for_sent(5)
    assert t.sent() == [WELCOME, *HOSTILE_TEXTS, longest]
    sales = t.shared.bot.sinks["sales"]
    await sales.wait_for_count(5, type="message.outbound")  # the welcome, and ours
    outbound = [
        e["data"] for e in sales.events("message.outbound") if e["data"]["service"] == "team"
    ]
    assert len(outbound) == 4 and all(d["masked"] and "text" not in d for d in outbound)
    assert {d["agent"] for d in outbound} == {AGENT.name}
    assert b"rm -rf" not in all_bytes(sales)


async def test_reply_is_refused_when_it_cannot_go(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    assert await t.run(AGENT, f"/optout {t.cid}") == (
        f"{t.cid}: the customer is opted out: nothing will be sent to them in this conversation."
    )
    assert await t.run(AGENT, f"/reply {t.cid} hello?") == (
        "Not sent: the customer opted out (STOP): nothing can be sent."
    )
    assert "opted in: messages may go in this conversation." in await t.run(
        AGENT, f"/optout {t.cid} OFF"
    )
    # The customer's own STOP and START are the same switch.
    await say(t.shared.bot, "STOP")
    assert "(already so)" in await t.run(AGENT, f"/optout {t.cid} on")
    await say(t.shared.bot, "START")
    assert (await t.run(AGENT, f"/reply {t.cid} welcome back")).startswith("Sent to Ann")
    await t.shared.graph.wait_for_sent(2)

    late = "447911000999"
    await say(t.shared.bot, "hi", late, timestamp=int(time.time()) - 25 * 3600)
    answer = await t.run(AGENT, f"/reply {t.shared.bot.conversation(late)} still there?")
    assert answer.startswith("Not sent: ") and "24-hour window" in answer

    question = await t.run(ADMIN, f"/forget wa:{WA_ID}")
    code = re.search(r"^/forget .+$", question, re.MULTILINE)
    assert code and (await t.run(ADMIN, code.group(0))).startswith("Erased")
    assert await t.run(AGENT, f"/reply {t.cid} hello?") == (
        "Not sent: the customer was erased: nothing can be sent."
    )
    assert "(erased)" in await t.run(VIEWER, "/inbox")
    await t.shared.bot.settle()
    assert t.sent() == [WELCOME, "welcome back"]


async def test_notes_are_kept_verbatim_and_never_reach_the_customer(
    make_bot: BotFactory,
) -> None:
    t = await team(make_bot)
    for text in HOSTILE_TEXTS:
        assert await t.run(AGENT, f"/note {t.cid} {text}") == f"Noted on {t.cid}."
    _, notes = await t.desk.notes(t.cid)
    assert [(n["text"], n["author"], n["service"]) for n in notes] == [
        (text, AGENT.name, "team") for text in HOSTILE_TEXTS
    ]
    listed = await t.run(AGENT, f"/note {t.cid[:10]}")
    assert listed.count(f" {AGENT.name} (team): ") == 3 and HOSTILE_TEXTS[0] in listed
    assert "needs the agent role" in await t.run(VIEWER, f"/note {t.cid} hi")
    for name in ("sales", "support", "marketing"):  # every attached service reads them
        answer = await t.shared.call(name, "GET", t.shared.path("notes"))
        assert [note["text"] for note in answer.json["notes"]] == HOSTILE_TEXTS
    # A reply after the notes reaches the sinks; the notes never do, nor the customer.
    await t.run(AGENT, f"/reply {t.cid} ok")
    for sink in t.shared.bot.sinks.values():
        await wait_for_event(sink, "message.outbound", by("team", AGENT.name))
        assert b"guillemets" not in all_bytes(sink)
    assert t.sent() == [WELCOME, "ok"]


async def test_attach_and_detach_move_the_parent(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    services = await t.run(VIEWER, "/services")
    assert f"{NUMBER}: support (parent), sales, marketing" in services.split("\n")
    assert "web:site: support (parent), sales, marketing" in services.split("\n")

    question = await t.run(ADMIN, f"/detach support {NUMBER}")
    assert question.startswith(f"This detaches support from {NUMBER}:")
    line = question.split("\n")[-1]
    assert re.fullmatch(rf"/detach support {NUMBER} confirm \d{{6}}", line), question
    order = t.shared.bot.runtime.services.order
    assert await order(NUMBER) == ["support", "sales", "marketing"]  # nothing yet
    wrong = await t.run(ADMIN, f"/detach support {NUMBER} confirm 000000")
    assert "wrong or expired" in wrong
    assert "wrong or expired" in await t.run(Caller("zed@example.com", "admin"), line)
    assert "needs the admin role" in await t.run(AGENT, line)
    assert await t.run(ADMIN, line) == (
        f"support detached from {NUMBER}: sales (parent), marketing; "
        "the parent is now sales (was support)"
    )
    assert await order(NUMBER) == ["sales", "marketing"]
    for sink in t.shared.bot.sinks.values():
        if sink is not t.shared.bot.sinks["support"]:
            event = await wait_for_event(sink, "number.parent_changed")
            assert (event["data"]["previous_parent"], event["data"]["parent"]) == (
                "support",
                "sales",
            )

    assert await t.run(ADMIN, f"/attach support {NUMBER}") == (
        f"support attached to {NUMBER}: sales (parent), marketing, support"
    )
    again = await t.run(ADMIN, "/attach support")
    assert f"support was already attached to {NUMBER}: sales (parent)" in again
    assert "support was already attached to web:site: support (parent)" in again
    assert (
        await t.run(ADMIN, "/attach nosuch") == "No service named 'nosuch'; /services lists them."
    )
    assert await t.run(ADMIN, "/attach sales wa:0") == "No number 'wa:0'; /services lists them."
    assert await t.run(ADMIN, "/detach nosuch") == "nosuch is not attached to any number."

    everywhere = await t.run(ADMIN, "/detach marketing")
    assert f"from {NUMBER}, web:site" in everywhere or f"from web:site, {NUMBER}" in everywhere
    done = await t.run(ADMIN, everywhere.split("\n")[-1])
    assert done.count("marketing detached from") == 2
    assert "marketing" not in await t.run(VIEWER, "/services")


def colliding_customers() -> tuple[str, str]:
    """Two WhatsApp ids whose conversation ids share their first 6 characters."""
    seen: dict[str, str] = {}
    for n in range(100_000):
        wa_id = f"4479110{n:05d}"
        prefix = conversation_id(NUMBER, Identity("wa", wa_id))[:6]
        if prefix in seen:
            return seen[prefix], wa_id
        seen[prefix] = wa_id
    raise AssertionError("no collision found")


async def test_a_conversation_is_named_by_its_id_or_an_unambiguous_prefix(
    make_bot: BotFactory,
) -> None:
    t = await team(make_bot)
    first, second = colliding_customers()
    for wa_id in (first, second):
        await say(t.shared.bot, "hi", wa_id)
    a, b = t.shared.bot.conversation(first), t.shared.bot.conversation(second)
    assert a[:6] == b[:6] and a != b
    answer = await t.run(AGENT, f"/claim {a[:6]}")
    assert (
        answer == f"{a[:6]} is ambiguous: several conversations start with it; give more of the id"
    )
    unique = next(n for n in range(7, len(a)) if a[:n] != b[:n])
    assert await t.run(AGENT, f"/claim {a[:unique]}") == f"You hold {a} now."
    assert await t.run(AGENT, f"/claim {t.cid[2:10]}") == f"You hold {t.cid} now."  # no c_
    short = await t.run(AGENT, "/claim c_12")
    assert short.startswith("give at least 6 characters") and "Usage: /claim" in short
    assert await t.run(AGENT, "/claim c_ffffffffff") == "no conversation c_ffffffffff"
    odd = await t.run(AGENT, "/claim <b>c_1</b>")
    assert odd.startswith("'<b>c_1</b>' is not a conversation id\nUsage: /claim")


async def test_bad_arguments_get_the_usage_line(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    cases = {
        "/claim": "Usage: /claim <conversation>",
        f"/claim {t.cid} extra": "Usage: /claim <conversation>",
        "/release": "Usage: /release <conversation>",
        "/reply": "Usage: /reply <conversation> <text...>",
        f"/reply {t.cid}": "Usage: /reply <conversation> <text...>",
        f"/reply {t.cid}    ": "Usage: /reply <conversation> <text...>",
        "/note": "Usage: /note <conversation> [text...]",
        "/optout": "Usage: /optout <conversation> [on|off]",
        f"/optout {t.cid} maybe": "Usage: /optout <conversation> [on|off]",
        "/services all": "Usage: /services",
        "/attach": "Usage: /attach <service> [number]",
        "/attach a b c": "Usage: /attach <service> [number]",
        "/detach": "Usage: /detach <service> [number] [confirm <code>]",
        "/detach confirm 123": "Usage: /detach <service> [number] [confirm <code>]",
        "/detach sales confirm": "Usage: /detach <service> [number] [confirm <code>]",
        "/role bob@example.com": "Usage: /role [<email|telegram id> <viewer|agent|admin|none>]",
        f"/reply '{t.cid} hi": "Unbalanced quotes: close every quote you open.",
    }
    for line, expected in cases.items():
        answer = await t.run(ADMIN, line)
        assert answer == expected, (line, answer)
    await t.shared.bot.settle()
    assert t.sent() == [WELCOME]


async def test_hostile_input_is_refused_clearly(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    huge = await t.run(AGENT, f"/reply {t.cid} " + "x" * 10 * 1024)
    assert huge == "That command is longer than 5000 characters."
    long = await t.run(AGENT, f"/note {t.cid} " + "y" * 4500)
    assert long.startswith("a note is at most 4096 characters (this one has 4500)\nUsage: /note")
    for text in ("nul\x00byte", "\x1b[31mred", "bell\x07", "del\x7f", "c1\x85"):
        for command in ("reply", "note"):
            answer = await t.run(AGENT, f"/{command} {t.cid} {text}")
            assert answer == (
                "Commands may not contain control characters (only text, newlines and tabs)."
            ), (command, text)
    await t.shared.bot.settle()
    assert t.sent() == [WELCOME]
    assert (await t.desk.notes(t.cid))[1] == []


async def test_each_role_runs_only_its_commands(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    agent_lines = [
        f"/claim {t.cid}",
        f"/release {t.cid}",
        f"/reply {t.cid} hi",
        f"/note {t.cid} hi",
        f"/optout {t.cid}",
        f"/merge wa:{WA_ID} wa:{WA_ID}",
    ]
    admin_lines = [
        "/attach sales",
        "/detach sales",
        "/role",
        "/role bob@example.com admin",
        "/audit",
    ]
    for line in agent_lines + admin_lines:
        name = line.split()[0]
        assert (await t.run(None, line)).startswith("You are not on this team's list")
        role = "agent" if line in agent_lines else "admin"
        expected = f"{name} needs the {role} role; you are viewer."
        assert await t.run(VIEWER, line) == expected
        if role == "admin":
            assert await t.run(AGENT, line) == f"{name} needs the admin role; you are agent."
    await t.shared.bot.settle()
    assert t.sent() == [WELCOME]
    assert await t.shared.bot.runtime.claims.holder(t.cid) is None
    assert (await t.desk.notes(t.cid))[1] == []
    assert "opted out" not in await t.run(VIEWER, "/inbox")
    assert await t.shared.bot.runtime.services.order(NUMBER) == ["support", "sales", "marketing"]
    assert [role.member for role in await t.desk.roles()] == []
    viewer = ["help", "inbox", "profile", "services", "flows", "stats", "sequences"]
    agent = [*viewer, "claim", "release", "reply", "note", "optout", "notify", "enrol", "unenrol"]
    agent.append("merge")
    help_lines = {
        "viewer": viewer,
        "agent": agent,
        "admin": [*agent, "attach", "detach", "forget", "role", "audit"],
    }
    for caller in (VIEWER, AGENT, ADMIN):
        listed = [line.split()[0][1:] for line in (await t.run(caller, "/help")).split("\n")]
        assert listed == help_lines[caller.role]
    flows = await t.run(VIEWER, "/flows")
    assert flows.startswith(f"{NUMBER} (parent: support):")
    assert "no guided conversations" in flows
    assert await t.run(VIEWER, "/flows now") == "Usage: /flows"


async def test_the_cli_runs_the_team_commands(make_bot: BotFactory, prefix: str) -> None:
    t = await team(make_bot)
    wa = t.shared.bot.runtime.settings.whatsapp
    assert wa is not None
    env = {
        **environment(prefix),
        "WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": wa.access_token,
        "WHATSAPP_APP_SECRET": wa.app_secret,
        "WHATSAPP_VERIFY_TOKEN": wa.verify_token,
        "WHATSAPP_API_BASE": wa.api_base,
    }
    code, out, err = await run_command(env, "admin", "inbox")
    assert code == 0, err
    assert out.startswith(f"{t.cid} Ann (wa:{WA_ID}) - whatsapp ")

    code, out, err = await run_command(
        env, "admin", "claim", t.cid[:10], "--agent", "Ann@Example.com"
    )
    assert (code, out) == (0, f"You hold {t.cid} now.\n"), err
    sales = t.shared.bot.sinks["sales"]
    await wait_for_event(sales, "conversation.claimed", by("team", "ann@example.com"))

    # The text goes as typed; without --agent the operator replies, and is warned.
    code, out, err = await run_command(
        env, "admin", "reply", t.cid, "It's *fine*,", "<b>really</b>"
    )
    assert code == 0, err
    assert "Warning: ann@example.com of team has held this conversation" in out
    await t.shared.graph.wait_for_sent(2)
    assert t.sent() == [WELCOME, "It's *fine*, <b>really</b>"]
    await wait_for_event(sales, "message.outbound", by("team", "operator"))

    code, out, _ = await run_command(env, "admin", "note", t.cid, "call back at 9")
    assert (code, out) == (0, f"Noted on {t.cid}.\n")
    assert (await t.desk.notes(t.cid))[1][0]["author"] == "operator"

    code, out, _ = await run_command(env, "admin", "detach", "support", NUMBER, typed="no\n")
    assert code == 1 and out.startswith("This detaches support") and "Nothing detached." in out
    assert await t.shared.bot.runtime.services.order(NUMBER) == ["support", "sales", "marketing"]
    code, out, err = await run_command(env, "admin", "detach", "support", NUMBER, "--yes")
    assert code == 0, err
    assert out.endswith("the parent is now sales (was support)\n")
    await wait_for_event(sales, "number.parent_changed")

    code, out, _ = await run_command(env, "admin", "role", "bob@example.com", "viewer")
    assert (code, out) == (0, "bob@example.com is viewer now.\n")
    assert await t.desk.caller_for_email("bob@example.com") == Caller("bob@example.com", "viewer")
    code, _, err = await run_command(env, "admin", "claim")
    assert code == 2 and err.startswith("usage: python bot.py admin claim [-h] [--agent EMAIL]")
    assert "/claim" not in err
    trail = [(e["who"], e["command"]) for e in await t.desk.audit_trail()]
    assert ("operator", f"/reply {t.cid} <26 characters>") in trail
    assert ("ann@example.com", f"/claim {t.cid[:10]}") in trail


def test_a_preview_is_one_safe_line() -> None:
    inbound = {"direction": "inbound", "text": "hi\x1b[2J  there\n\nbye\x00"}
    assert preview(inbound) == "customer: hi\ufffd[2J there bye\ufffd"
    outbound = {"direction": "outbound", "service": "team", "agent": "bob", "text": "z" * 100}
    assert preview(outbound) == "team/bob: " + "z" * 77 + "..."
    assert preview({"direction": "inbound", "kind": "image", "text": ""}) == "customer: [image]"
    assert preview({"erased": True, "direction": "inbound"}) == "(erased)"
