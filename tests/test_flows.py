"""The guided-conversation engine (AU-2) fed messages directly: every input type, its
validation and re-prompts, branches, escape words, retries, timeouts and broken YAML."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config.automation import automation_settings
from bot.config.base import ConfigError
from bot.model import Identity, Inbound, MessageKind
from handlers.flows import FlowEngine, FlowOutcome, FlowState, Reply, fill

T0 = 1_900_000_000.0  # 2030-03-17, a Sunday
ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {
    "callback": {"file": "flows/callback.yaml"},
    "qualify_lead": {"file": "flows/qualify_lead.yaml"},
}
_ids = itertools.count()


def message(text: str = "", *, kind: MessageKind = "text", payload: str = "") -> Inbound:
    sender = Identity("wa", "447700900123")
    return Inbound(
        channel="whatsapp",
        number="wa:1",
        provider_id=f"wamid.{next(_ids)}",
        sender=sender,
        kind=kind,
        timestamp=T0,
        text=text,
        payload=payload,
        identities=(sender,),
    )


class Chat:
    """One customer talking to an engine; the state carries over like the pipeline's."""

    def __init__(self, engine: FlowEngine, now: float = T0) -> None:
        self.engine = engine
        self.state: FlowState | None = None
        self.now = now

    def say(self, text: str = "", **kwargs: Any) -> FlowOutcome:
        outcome = self.engine.step(self.state, message(text, **kwargs), now=self.now)
        self.state = outcome.state
        return outcome

    def press(self, index: int, label: str = "") -> FlowOutcome:
        return self.say(label, kind="button", payload=f"b:{index}")


def engine(automation: dict[str, Any]) -> FlowEngine:
    return FlowEngine.from_settings(automation_settings(automation), region="GB")


def one_step(**step: Any) -> FlowEngine:
    """A flow of one step, started by "go", that ends by echoing the answer."""
    return engine(
        {
            "flows": {
                "f": {
                    "start": ["go"],
                    "steps": [{"id": "a", "ask": "Q?", **step}],
                    "end": "Got {a}.",
                }
            }
        }
    )


def texts(outcome: FlowOutcome) -> list[str]:
    return [reply.text for reply in outcome.replies]


@pytest.fixture
def shipped() -> FlowEngine:
    return engine({"flows": SHIPPED})


def test_the_callback_flow_books_a_callback(shipped: FlowEngine) -> None:
    chat = Chat(shipped)
    started = chat.say("Could you call me back please?")
    assert started.handled and started.flow == "callback"
    assert texts(started) == ["Sure! What's your name?"]
    named = chat.say("  Ann  ")
    assert named.saves == {"name": "Ann"}
    assert texts(named) == ["Thanks Ann. Which number should we call?"]
    phoned = chat.say("07700 900123")
    assert phoned.saves == {"callback_phone": "+447700900123"}
    assert phoned.replies == (Reply("When suits you?", ("Morning", "Afternoon", "Evening")),)
    done = chat.press(1, "Afternoon")
    assert done.saves == {"callback_slot": "Afternoon"}
    assert texts(done) == ["Thanks Ann, we'll call you on +447700900123 in the Afternoon."]
    assert (done.state, done.ended, done.handoff) == (None, "completed", None)


@pytest.mark.parametrize(
    ("answer", "picked"),
    [("2", "Afternoon"), (" 3. ", "Evening"), ("morning", "Morning"), ("EVENING", "Evening")],
)
def test_a_choice_is_typed_as_its_number_or_its_words(
    shipped: FlowEngine, answer: str, picked: str
) -> None:
    chat = Chat(shipped)
    for text in ("callback", "Ann", "+44 7700 900123"):
        chat.say(text)
    assert chat.say(answer).saves == {"callback_slot": picked}


@pytest.mark.parametrize(
    ("step", "answer", "saved"),
    [
        ({"input": "text"}, " hello there ", "hello there"),
        ({"input": "text"}, "Zoë 李 👋", "Zoë 李 👋"),
        ({"input": "email"}, "Ann.Lee+x@Example.COM", "Ann.Lee+x@example.com"),
        ({"input": "phone"}, "+44 7700 900123", "+447700900123"),
        ({"input": "phone"}, "07700900123", "+447700900123"),
        ({"input": "number"}, "5,000", "5000"),
        ({"input": "number"}, "£12.50", "12.5"),
        ({"input": "number", "min": 1, "max": 10}, "10", "10"),
        ({"input": "date"}, "2030-01-31", "2030-01-31"),
        ({"input": "date"}, "31/01/2030", "2030-01-31"),
        ({"input": "date"}, "1/2/2030", "2030-02-01"),
        ({"input": "date", "future": True}, "17/03/2030", "2030-03-17"),  # today is fine
        ({"input": "choice", "choices": ["A", "B"]}, "b", "B"),
    ],
)
def test_valid_answers_of_each_type_are_saved_normalized(
    step: dict[str, Any], answer: str, saved: str
) -> None:
    chat = Chat(one_step(save="field", **step))
    chat.say("go")
    outcome = chat.say(answer)
    assert outcome.saves == {"field": saved}
    assert texts(outcome) == [f"Got {saved}."]


@pytest.mark.parametrize(
    ("step", "answer", "problem"),
    [
        ({"input": "text"}, "   ", "Please answer with a message."),
        ({"input": "text", "max_length": 100}, "x" * 10_240, "to 100 characters at most"),
        ({"input": "email"}, "ann@", "doesn't look like an email"),
        ({"input": "email"}, "ann at example.com", "doesn't look like an email"),
        ({"input": "email"}, "a@" + "b" * 300 + ".com", "doesn't look like an email"),
        ({"input": "phone"}, "12", "phone number we can call"),
        ({"input": "phone"}, "call me on my mobile", "phone number we can call"),
        ({"input": "phone"}, "7" * 10_000, "phone number we can call"),
        ({"input": "number"}, "lots", "Please answer with a number."),
        ({"input": "number"}, "1e400", "Please answer with a number."),
        ({"input": "number", "min": 1, "max": 10}, "11", "from 1 to 10"),
        ({"input": "number", "min": 1}, "0", "at least 1"),
        ({"input": "number", "max": 2.5}, "3", "at most 2.5"),
        ({"input": "date"}, "tomorrow", "a date like 2026-03-14 or 14/03/2026"),
        ({"input": "date"}, "31/02/2030", "doesn't exist"),
        ({"input": "date", "future": True}, "2030-03-16", "isn't in the past"),
        ({"input": "choice", "choices": ["A", "B"]}, "3", "pick one of the options"),
    ],
)
def test_invalid_answers_are_asked_again_with_a_clear_message(
    step: dict[str, Any], answer: str, problem: str
) -> None:
    chat = Chat(one_step(save="field", **step))
    chat.say("go")
    outcome = chat.say(answer)
    assert outcome.handled and outcome.saves == {}
    (again,) = outcome.replies
    assert problem in again.text and again.text.endswith("\nQ?")
    assert again.buttons == tuple(step.get("choices", ()))
    assert chat.state is not None and (chat.state.step, chat.state.attempts) == ("a", 1)


def test_a_configured_retry_text_replaces_the_explanation() -> None:
    chat = Chat(one_step(input="email", retry="Hmm, that is no email. Try again?"))
    chat.say("go")
    assert texts(chat.say("nope")) == ["Hmm, that is no email. Try again?\nQ?"]


def test_after_max_retries_the_customer_is_handed_to_a_person() -> None:
    chat = Chat(one_step(input="number"))
    chat.say("go")
    for attempt in (1, 2, 3):  # the default: asked again three times
        assert chat.say("many").state is not None
        assert chat.state is not None and chat.state.attempts == attempt
    outcome = chat.say("really many")
    assert outcome.state is None and outcome.ended == "handoff"
    assert outcome.handoff == "no valid answer to 'a' after 4 tries"
    assert texts(outcome) == ["Connecting you to a member of our team."]


def test_max_retries_is_set_per_flow_and_per_step() -> None:
    steps = [
        {"id": "a", "ask": "A?", "input": "number", "max_retries": 0},
        {"id": "b", "ask": "B?", "input": "number"},
    ]
    chat = Chat(engine({"flows": {"f": {"start": "go", "max_retries": 1, "steps": steps}}}))
    chat.say("go")
    assert chat.say("x").handoff is not None  # step a allows none
    chat.say("go")
    chat.say("1")
    assert chat.say("x").state is not None  # step b: the flow's one retry
    assert chat.say("x").handoff is not None


def test_a_valid_answer_resets_the_retries() -> None:
    steps = [
        {"id": "a", "ask": "A?", "input": "number"},
        {"id": "b", "ask": "B?", "input": "number"},
    ]
    chat = Chat(engine({"flows": {"f": {"start": "go", "steps": steps}}}))
    chat.say("go")
    for _ in range(3):
        chat.say("x")
    chat.say("1")
    assert chat.state is not None and (chat.state.step, chat.state.attempts) == ("b", 0)


def test_branches_lead_a_lead_to_sales_or_out(shipped: FlowEngine) -> None:
    business = Chat(shipped)
    assert business.say("Can I get a quote?").replies == (
        Reply("Happy to help with a quote. Is this for a business?", ("Yes", "No")),
    )
    assert texts(business.press(0, "Yes")) == ["What's your company called?"]
    assert texts(business.say("Acme Ltd")) == ["How many people would use it?"]
    assert "from 1 to 100000" in texts(business.say("0"))[0]
    business.say("25")
    handed = business.say("ops@acme.example")
    assert handed.saves == {"email": "ops@acme.example"}
    assert handed.ended == "handoff" and handed.handoff == "the flow hands off after 'email'"
    assert texts(handed) == [
        "Thanks! Connecting you to our sales team: someone will be with you shortly."
    ]

    personal = Chat(shipped)
    personal.say("pricing")
    assert personal.say("no").saves == {"is_business": "No"}
    assert personal.state is not None and personal.state.step == "personal"
    done = personal.press(1, "No thanks")
    assert (done.ended, texts(done)) == (
        "completed",
        ["Thanks for your interest! Write to us any time."],
    )
    personal.say("quote")
    personal.say("No")
    assert personal.say("yes please").handoff == "the flow hands off after 'personal'"


@pytest.mark.parametrize("word", ["agent", "AGENT", " Agent! ", "agent."])
def test_agent_hands_off_at_any_step(shipped: FlowEngine, word: str) -> None:
    for answered in range(3):
        chat = Chat(shipped)
        for text in ["callback", "Ann", "07700900123"][: answered + 1]:
            chat.say(text)
        outcome = chat.say(word)
        assert (outcome.state, outcome.ended) == (None, "handoff")
        assert outcome.handoff == "the customer asked for a person"


@pytest.mark.parametrize("word", ["cancel", "Cancel", "CANCEL!"])
def test_cancel_ends_the_flow_at_any_step(shipped: FlowEngine, word: str) -> None:
    for answered in range(3):
        chat = Chat(shipped)
        for text in ["call me", "Ann", "07700900123"][: answered + 1]:
            chat.say(text)
        outcome = chat.say(word)
        assert (outcome.state, outcome.ended, outcome.handoff) == (None, "cancelled", None)
        assert texts(outcome) == ["OK, stopped. Write any time if you need us."]


def test_escape_words_count_only_as_the_whole_message(shipped: FlowEngine) -> None:
    chat = Chat(shipped)
    chat.say("callback")
    assert chat.say("Agent Smith").saves == {"name": "Agent Smith"}
    chat.say("07700900123")
    assert "pick one" in texts(chat.say("please cancel my order"))[0]
    idle = Chat(shipped)  # with no flow under way, "agent" still hands off (AU-2)
    assert idle.say("agent").handoff == "the customer asked for a person"
    assert not idle.say("cancel").handled  # nothing to cancel: an ordinary message


def test_a_flow_expires_after_its_timeout() -> None:
    flows = {"f": {"start": "go", "steps": [{"id": "a", "ask": "A?"}, {"id": "b", "ask": "B?"}]}}
    chat = Chat(engine({"flow_timeout": 60, "flows": flows}))
    chat.say("go")
    chat.now += 59
    assert texts(chat.say("one")) == ["B?"]  # each answer restarts the clock
    chat.now += 61
    late = chat.say("two")
    assert not late.handled and late.state is None
    chat.state = FlowState("f", "b", {"a": "one"}, 0, T0, chat.now - 61)
    assert texts(chat.say("go")) == ["A?"]  # an expired flow can start afresh


def test_a_flow_timeout_can_be_set_per_flow() -> None:
    flows = {"f": {"start": "go", "timeout": 5, "steps": [{"id": "a", "ask": "A?"}]}}
    settings = automation_settings({"flow_timeout": 60, "flows": flows})
    assert [flow.timeout for flow in settings.flows] == [5.0]
    assert FlowEngine.from_settings(settings).timeout(FlowState("f", "a")) == 5.0


def test_a_redone_message_changes_nothing(shipped: FlowEngine) -> None:
    chat = Chat(shipped)
    chat.say("callback")
    answer = message("Ann")
    first = shipped.step(chat.state, answer, now=T0)
    again = shipped.step(first.state, answer, now=T0)
    assert again.handled and again.state == first.state
    assert again.replies == () and again.saves == {}


def test_a_state_of_a_flow_no_longer_configured_is_dropped(shipped: FlowEngine) -> None:
    outcome = shipped.step(FlowState("gone", "a", updated_at=T0), message("Ann"), now=T0)
    assert not outcome.handled and outcome.state is None


def test_a_button_of_an_earlier_question_is_not_an_answer(shipped: FlowEngine) -> None:
    chat = Chat(shipped)
    chat.say("callback")
    outcome = chat.press(2, "Evening")
    assert texts(outcome) == ["That button was for an earlier question.\nSure! What's your name?"]
    assert outcome.state is not None and outcome.state.attempts == 0  # no try used
    assert chat.press(7, "Stale").saves == {}  # out of range, even on a choice step


def test_rules_and_flows_share_one_priority_order() -> None:
    flows = {"f": {"start": ["price"], "steps": [{"id": "a", "ask": "A?"}]}}
    rules = [{"keywords": ["price"], "reply": "It is 9."}]
    assert Chat(engine({"flows": flows, "rules": rules})).say("the price?").handled
    rules[0]["priority"] = 1  # a rule of higher priority answers instead
    assert not Chat(engine({"flows": flows, "rules": rules})).say("the price?").handled
    started = Chat(
        engine(
            {
                "flows": {"f": {**flows["f"], "start": []}},
                "rules": [{"pattern": r"\bbook\b", "flow": "f", "reply": "Let's book."}],
            }
        )
    ).say("I'd like to BOOK")
    assert texts(started) == ["Let's book.", "A?"]


def test_answers_are_inserted_verbatim_never_expanded(shipped: FlowEngine) -> None:
    chat = Chat(shipped)
    chat.say("callback")
    hostile = "{callback_slot} <script>alert(1)</script>'; DROP TABLE x;--"
    assert chat.say(hostile).saves == {"name": hostile}
    chat.say("07700900123")
    assert texts(chat.say("1")) == [
        f"Thanks {hostile}, we'll call you on +447700900123 in the Morning."
    ]
    assert fill("{a}{b}", {"a": "{b}", "b": "x"}) == "{b}x"


def test_the_state_round_trips_and_garbage_is_refused() -> None:
    state = FlowState("f", "a", {"a": "Zoë"}, 2, T0, T0 + 1, "wamid.1", "bot")
    assert FlowState.from_dict(state.to_dict()) == state
    for garbage in ({}, {"flow": "f"}, {"flow": "f", "step": "a", "attempts": "x"}):
        with pytest.raises(ValueError, match="not a flow state"):
            FlowState.from_dict(garbage)


def test_yaml_yes_and_no_stay_choices() -> None:
    document = yaml.safe_load(
        "flows:\n  f:\n    start: go\n    steps:\n"
        "      - {id: a, ask: 'Sure?', input: choice, choices: [Yes, No],\n"
        "         next: {Yes: end, No: b}}\n"
        "      - {id: b, ask: 'Why?'}\n"
    )
    chat = Chat(engine(document))
    assert chat.say("go").replies[0].buttons == ("Yes", "No")
    assert texts(chat.say("no")) == ["Why?"]


def test_the_shipped_flows_and_the_readme_config_load() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    configs = [yaml.safe_load(block) for block in blocks]
    example = next(c for c in configs if isinstance(c, dict) and "automation" in c)
    settings = automation_settings(example["automation"])
    assert {flow.name for flow in settings.flows} == {"callback", "qualify_lead"}


def _flow(*steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"flows": {"f": {"start": "go", "steps": list(steps), **extra}}}


@pytest.mark.parametrize(
    ("automation", "error"),
    [
        (_flow({"id": "a"}), "automation.flows.f.steps[0].ask: is required"),
        (
            _flow({"id": "a", "ask": "?", "input": "fone"}),
            "automation.flows.f.steps[0].input: must be 'text', 'choice'",
        ),
        (
            _flow({"id": "a", "ask": "?", "input": "choice"}),
            "automation.flows.f.steps[0]: input choice needs choices",
        ),
        (
            _flow({"id": "a", "ask": "?", "chioces": ["x"]}),
            "automation.flows.f.steps[0].chioces: unknown key (did you mean choices?)",
        ),
        (
            _flow({"id": "a", "ask": "?", "next": "zzz"}),
            "automation.flows.f: step 'a': next 'zzz' is not a step",
        ),
        (
            _flow({"id": "a", "ask": "?", "next": {"x": "end"}}),
            "automation.flows.f.steps[0]: next by answer is for input choice",
        ),
        (
            _flow({"id": "a", "ask": "?", "min": 1}),
            "automation.flows.f.steps[0]: min is for input number, not text",
        ),
        (
            _flow({"id": "a", "ask": "?", "future": True}),
            "automation.flows.f.steps[0]: future is for input date",
        ),
        (
            _flow({"id": "a", "ask": "?", "save": "F:x"}),
            "automation.flows.f.steps[0].save: must be lowercase letters, digits and _",
        ),
        (
            _flow({"id": "a", "ask": "{nmae}?"}),
            "automation.flows.f: step 'a': {nmae} is not a step",
        ),
        (
            _flow({"id": "a", "ask": "?"}, end="Bye {x}"),
            "automation.flows.f: end: {x} is not a step",
        ),
        (_flow({"id": "a", "ask": "?"}, {"id": "a", "ask": "?"}), "two steps are called 'a'"),
        (
            _flow({"id": "Step 1", "ask": "?"}),
            "automation.flows.f.steps[0].id: must be lowercase letters, digits and _",
        ),
        (_flow({"id": "end", "ask": "?"}), "automation.flows.f.steps[0].id: 'end' is reserved"),
        (_flow("just a string"), "automation.flows.f.steps[0]: must be a mapping"),
        (_flow(), "automation.flows.f.steps: must have at least 1 item"),
        (_flow({"id": "a", "ask": "?", "input": "number", "min": 5, "max": 1}), "min is more"),
        (
            _flow({"id": "a", "ask": "?", "max_retries": -1}),
            "automation.flows.f.steps[0].max_retries: must be at least 0",
        ),
        (
            _flow({"id": "a", "ask": "?", "max_length": 0}),
            "automation.flows.f.steps[0].max_length: must be at least 1",
        ),
        (
            _flow({"id": "a", "ask": "?", "input": "choice", "choices": ["x" * 25]}),
            "must be 1 to 24 characters",
        ),
        (
            _flow({"id": "a", "ask": "?", "input": "choice", "choices": list("abcdefghijk")}),
            "automation.flows.f.steps[0].choices: must have at most 10 items",
        ),
        (_flow({"id": "a", "ask": "?", "input": "choice", "choices": ["A", "a"]}), "the same"),
        (
            _flow(
                {"id": "a", "ask": "?", "input": "choice", "choices": ["A"], "next": {"B": "end"}}
            ),
            "next names 'B', which is not a choice",
        ),
        (_flow({"id": "a", "ask": "?"}, timezone="Mars/Olympus"), "unknown time zone"),
        (
            _flow({"id": "a", "ask": "?"}, timeout=0),
            "automation.flows.f.timeout: must be greater than 0",
        ),
        (
            _flow({"id": "a", "ask": "?"}, start=[""]),
            "automation.flows.f.start[0]: must not be empty",
        ),
        (
            _flow({"id": "a", "ask": "?"}, ending="x"),
            "automation.flows.f.ending: unknown key (did you mean end?)",
        ),
        (
            {"flows": {"Bad Name": {"steps": []}}},
            "automation.flows.Bad Name: must be lowercase letters",
        ),
        ({"flows": ["callback"]}, "automation.flows: must be a mapping"),
        (
            {"flows": {"f": {"file": "flows/nope.yaml"}}},
            "automation.flows.f: no flow file flows/nope.yaml",
        ),
        ({"flow_timeout": -1}, "automation.flow_timeout: must be greater than 0"),
        ({"rules": [{"keywords": ["x"], "flow": "nope"}]}, "flow 'nope' is not in flows"),
    ],
)
def test_a_broken_flow_is_a_config_error_naming_the_step(
    automation: dict[str, Any], error: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        automation_settings(automation)
    assert error in str(raised.value)


def test_a_broken_flow_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("steps: [unclosed", encoding="utf-8")
    broken = r"automation\.flows\.f: .*broken.yaml:1: not valid YAML: expected ',' or ']'"
    with pytest.raises(ConfigError, match=broken):
        automation_settings({"flows": {"f": {"file": str(path)}}})
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        automation_settings({"flows": {"f": {"file": str(path)}}})
    path.write_text("start: go\nsteps:\n  - {id: a, ask: Hi, input: choice}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"flows\.f\.steps\[0\]: input choice needs choices"):
        automation_settings({"flows": {"f": {"file": str(path)}}})


def test_inline_keys_override_a_flow_file() -> None:
    flows = {"callback": {"file": "flows/callback.yaml", "start": ["ring me"]}}
    chat = Chat(engine({"flows": flows}))
    assert not chat.say("callback").handled
    assert chat.say("please ring me").flow == "callback"


def test_a_flow_file_is_found_in_the_project_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert [flow.name for flow in automation_settings({"flows": SHIPPED}).flows] == [
        "callback",
        "qualify_lead",
    ]
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "callback.yaml").write_text(
        "start: ring\nsteps: [{id: a, ask: Hi}]\n", encoding="utf-8"
    )
    (callback, _) = automation_settings({"flows": SHIPPED}).flows  # the working directory's
    assert callback.start == ("ring",)


def test_the_readme_flow_example_is_a_valid_flow() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "steps:" in b)
    chat = Chat(engine({"flows": {"example": yaml.safe_load(block)}}))
    chat.say("callback")
    chat.say("Jo")
    assert chat.say("evening").handoff == "the flow hands off after 'when'"
