"""Guided conversations (AU-2): a pure engine. Given a flow's state and the customer's
message, it says what to answer, which answers to save on the profile and whether to
hand the customer to a person; the pipeline keeps the state and applies the rest."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.automation import MAX_REPLY, AutomationSettings, KeywordRule
from bot.config.flows import DEFAULT_HANDOFF, PLACEHOLDER, Flow, FlowStep, caseless
from bot.identities import (
    InvalidIdentityError,
    InvalidPhoneError,
    normalize_identity,
    normalize_phone,
)
from bot.model import TEXT_CONTROLS, Identity, Inbound
from handlers.command_kit import has_control_characters
from handlers.patterns import rule_pattern

HANDOFF_WORDS = frozenset({"agent"})
"""A whole message that asks for a person, at any step."""
CANCEL_WORDS = frozenset({"cancel"})
"""A whole message that ends the flow, at any step."""
CHOICE_PAYLOAD = re.compile(r"b:([0-9]{1,2})")
"""The id of a pressed button or picked row: ``b:<index>`` on every channel."""
ASKED_KEPT = 10
"""The messages that asked a step kept at most: a press on an older one is no answer."""
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_GROUPED = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"-?[0-9]+,[0-9]{1,2}")
_NUMBERED = re.compile(r"([0-9]{1,2})[.)]?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_UK_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?(\s|$)")
"""A Telegram bot's command, as its app's menu sends one: ``/help``, ``/start ref``."""
NOT_A_COMMAND = "That is a command, not an answer. Please type your answer, or /cancel to stop."
EARLIER_BUTTON = "That button was for an earlier question."
FLOW_CHANGED = "Our questions have changed since you began, so let's start again."

log = logging.getLogger(__name__)
_NO_TRY = (NOT_A_COMMAND, EARLIER_BUTTON)
"""What answers no question and uses none of its tries: the question is asked again."""
_PROBLEMS = {
    "text": "Please answer with a message.",
    "choice": "Please pick one of the options.",
    "email": "That doesn't look like an email address (like ann@example.com).",
    "phone": "That doesn't look like a phone number we can call.",
    "number": "Please answer with a number.",
    "date": "Please give a date like 2026-03-14 or 14/03/2026.",
}


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the customer, with the choices to offer as buttons."""

    text: str
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlowState:
    """Where a customer is in a flow; kept between messages (in Redis, by the pipeline)."""

    flow: str
    step: str
    answers: Mapping[str, str] = field(default_factory=dict)
    """Valid answers so far, by step id."""
    attempts: int = 0
    """Invalid answers to the current step."""
    started_at: float = 0.0
    updated_at: float = 0.0
    last: str = ""
    """The provider id of the last message applied: a redo of it changes nothing."""
    owner: str = ""
    """The service whose flow it is; kept by the pipeline, untouched here."""
    asked: tuple[str, ...] = ()
    """Our ids of the messages that asked the current step (its question, and each time
    it was asked again), added by the pipeline, which knows them: a press of a button on
    any other message is not an answer to it."""

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__} | {
            "answers": dict(self.answers)
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlowState:
        """Raises ValueError when ``data`` is not a state written by ``to_dict``."""
        try:
            answers = {str(k): str(v) for k, v in dict(data.get("answers") or {}).items()}
            return cls(
                flow=str(data["flow"]),
                step=str(data["step"]),
                answers=answers,
                attempts=int(data.get("attempts", 0)),
                started_at=float(data.get("started_at", 0)),
                updated_at=float(data.get("updated_at", 0)),
                last=str(data.get("last", "")),
                owner=str(data.get("owner", "")),
                asked=tuple(str(sent) for sent in data.get("asked") or ()),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a flow state: {error}") from None


@dataclass(frozen=True, slots=True)
class FlowOutcome:
    """What one message did to a flow."""

    handled: bool
    """False when no flow was active and none started: the message is not the flow's."""
    state: FlowState | None = None
    """The state to keep; None when the flow ended (or none is active)."""
    replies: tuple[Reply, ...] = ()
    saves: Mapping[str, str] = field(default_factory=dict)
    """Answers for the profile, by field name (``f:<name>`` on the profile)."""
    handoff: str | None = None
    """Why the customer is handed to a person, when they are."""
    flow: str = ""
    ended: str = ""
    """``completed``, ``cancelled`` or ``handoff`` when the flow ended with this message."""
    identities: tuple[Identity, ...] = ()
    """Answers that join the customer's profile as identities (a step's ``stitch``)."""


NOT_HANDLED = FlowOutcome(handled=False)


class FlowEngine:
    """Runs the flows that a set of keyword rules start, in the rules' priority order."""

    def __init__(self, rules: Sequence[KeywordRule], *, region: str = "GB") -> None:
        # The order of handlers.autoreply: highest priority first, then as written, so
        # that a message starts a flow exactly when its best rule is that flow's.
        ordered = sorted(rules, key=lambda rule: -rule.priority)
        self._rules = [(rule, rule_pattern(rule)) for rule in ordered]
        self.flows: dict[str, Flow] = {r.flow.name: r.flow for r in ordered if r.flow}
        self.region = region

    @classmethod
    def from_settings(cls, settings: AutomationSettings, *, region: str = "GB") -> FlowEngine:
        return cls(settings.rules, region=region)

    def timeout(self, state: FlowState) -> float:
        flow = self.flows.get(state.flow)
        return flow.timeout if flow else 0.0

    def step(
        self,
        state: FlowState | None,
        message: Inbound,
        *,
        now: float,
        pressed_on: str = "",
        no_answer: bool = False,
    ) -> FlowOutcome:
        """Take ``message`` in the flow ``state`` is in, or start one it asks for.

        ``pressed_on``: our id of the message whose button ``message`` presses, when the
        channel says which (WhatsApp's ``context``, the message of Telegram's callback).
        ``no_answer``: the message is an opt-in word (START, Telegram's /start), which
        answers no question: the flow under way asks its question again, and it starts
        none."""
        if state is not None:
            flow = self.flows.get(state.flow)
            current = flow.step(state.step) if flow else None
            if flow is None:  # an edit of the config took it away: start afresh
                log.info("flow %s is no longer configured: the customer left it", state.flow)
                state = None
            elif now - state.updated_at > flow.timeout:
                state = None  # expired: start afresh
            elif current is None:  # an edit of the flow took the step away
                log.info(
                    "flow %s has no step %s since an edit: its first question is asked again",
                    flow.name,
                    state.step,
                )
                first = flow.steps[0]
                afresh = replace(state, step=first.id, answers={}, attempts=0, asked=())
                return _asked_again(flow, first, afresh, message, now, FLOW_CHANGED)
            elif state.last and state.last == message.provider_id:
                return FlowOutcome(handled=True, state=state, flow=flow.name)  # a redo
            elif no_answer or _typed_start(message):
                command = message.channel == "telegram" and _BOT_COMMAND.match(message.text)
                return _asked_again(
                    flow, current, state, message, now, NOT_A_COMMAND * bool(command)
                )
            else:
                return self._answer(flow, current, state, message, now, pressed_on)
        return NOT_HANDLED if no_answer else self._start(message, now) or NOT_HANDLED

    def _start(self, message: Inbound, now: float) -> FlowOutcome | None:
        text = message.text
        if not text:
            return None
        for rule, pattern in self._rules:
            if not pattern.search(text):
                continue
            if rule.flow is None:
                return None  # a rule that is not a flow's answers this one
            flow, first = rule.flow, rule.flow.steps[0]
            state = FlowState(flow.name, first.id, {}, 0, now, now, message.provider_id)
            said = [Reply(said) for said in (rule.reply, flow.intro) if said]
            replies = (*said, _prompt(first, {}))
            return FlowOutcome(handled=True, state=state, replies=replies, flow=flow.name)
        if self.flows and _escape_word(text, message.channel) in HANDOFF_WORDS:
            # The escape word works outside a flow too (AU-2): the customer asked for a
            # person, and no rule of the business's answers "agent" otherwise.
            reply = Reply(DEFAULT_HANDOFF)
            return FlowOutcome(True, None, (reply,), {}, "the customer asked for a person")
        return None

    def _answer(
        self,
        flow: Flow,
        step: FlowStep,
        state: FlowState,
        message: Inbound,
        now: float,
        pressed_on: str,
    ) -> FlowOutcome:
        # A press answers the step whatever its label: a choice may be called "Cancel".
        pressed = message.kind in ("button", "list") and CHOICE_PAYLOAD.fullmatch(message.payload)
        word = "" if pressed else _escape_word(message.text, message.channel)
        # A button of an earlier question (pressed twice, or late) may have the label of
        # one of this question's: "Yes" to "Did it work?" is no "Yes" to "Can we close?".
        stale = bool(pressed and pressed_on and state.asked and pressed_on not in state.asked)
        context = _context(flow, state.answers)
        if word in CANCEL_WORDS:
            return _ended(flow, "cancelled", fill(flow.cancelled, context))
        if word in HANDOFF_WORDS:
            return _handoff(flow, context, {}, "the customer asked for a person")
        value, problem = self._validate(flow, step, message, now, stale=stale)
        if value is None and problem in _NO_TRY:  # no answer, and no try used
            return _asked_again(flow, step, state, message, now, problem)
        if value is None:
            attempts = state.attempts + 1
            if attempts > step.max_retries:
                reason = f"no valid answer to {step.id!r} after {attempts} tries"
                return _handoff(flow, context, {}, reason)
            retry = fill(step.retry, context) if step.retry else problem
            prompt = _prompt(step, context)
            again = Reply(_fitted(f"{retry}\n{prompt.text}"), prompt.buttons)
            kept = replace(state, attempts=attempts, updated_at=now, last=message.provider_id)
            return FlowOutcome(handled=True, state=kept, replies=(again,), flow=flow.name)
        answers = {**state.answers, step.id: value}
        context = _context(flow, answers)
        saves = {step.save: value} if step.save else {}
        joins = _stitched(step, value)
        target = dict(step.branches).get(value) or step.next or flow.after(step)
        if target == "end":
            ended = _ended(flow, "completed", fill(flow.end, context), saves)
            return replace(ended, identities=joins)
        if target == "handoff":
            reason = f"the flow hands off after {step.id!r}"
            return replace(_handoff(flow, context, saves, reason), identities=joins)
        following = flow.step(target)
        assert following is not None, "targets are checked when the flow is read"
        moved = replace(
            state,
            step=target,
            answers=answers,
            attempts=0,
            updated_at=now,
            last=message.provider_id,
            asked=(),
        )
        reply = _prompt(following, context)
        return FlowOutcome(True, moved, (reply,), saves, flow=flow.name, identities=joins)

    def _validate(
        self, flow: Flow, step: FlowStep, message: Inbound, now: float, *, stale: bool
    ) -> tuple[str | None, str]:
        """(the answer as saved, '') when valid, else (None, what is wrong); a ``stale``
        press (of another message's button) answers nothing."""
        problem = _PROBLEMS[step.input]
        text = message.text.strip()
        if message.channel == "telegram" and message.kind == "text" and _BOT_COMMAND.match(text):
            return None, NOT_A_COMMAND  # /help or /start from the app's menu answers nothing
        if step.input == "choice":
            index = None if stale else _choice(step.choices, message)
            if index is not None:
                return step.choices[index], ""
        if message.kind in ("button", "list"):
            return None, EARLIER_BUTTON  # a press that answers this question is taken above
        if step.input == "choice":
            return None, problem
        if message.kind != "text" and not (step.input == "phone" and message.kind == "contact"):
            # A place, a card or a file is no typed answer (Telegram gives a shared
            # contact's phone as its text: the answer to a phone question, and only there).
            return None, problem
        if not text:
            return None, problem
        if has_control_characters(text, TEXT_CONTROLS):  # nothing a person types
            return None, "Please answer in plain text."
        if step.input == "text":
            if len(text) > step.max_length:
                return None, f"Please keep it to {step.max_length} characters at most."
            return text, ""
        if step.input == "email":
            if len(text) > 254:
                return None, problem
            try:  # as an email identity is read: "ann@example.com," or "<ann@...>" is none
                normalize_identity("email", text, "")
            except InvalidIdentityError:
                return None, problem
            local, _, domain = text.rpartition("@")
            return f"{local}@{domain.lower()}", ""
        if step.input == "phone":
            try:
                return normalize_phone(text, self.region).value, ""
            except InvalidPhoneError:
                return None, problem
        if step.input == "number":
            return _number(step, text)
        return _date(step, text, datetime.fromtimestamp(now, ZoneInfo(flow.timezone)).date())


def fill(template: str, context: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by that answer ('' when unanswered);
    answers are inserted as they are, never read as placeholders themselves."""
    return _fitted(PLACEHOLDER.sub(lambda match: context.get(match[1], ""), template))


def _fitted(text: str) -> str:
    """``text`` cut to what one message holds: a flow's texts are within it as written, but
    the answers put in them (or a retry said before the question) can take them past it,
    and the channels refuse such a message whole."""
    return text if len(text) <= MAX_REPLY else text[: MAX_REPLY - 1] + "…"


def _typed_start(message: Inbound) -> bool:
    """START typed on Telegram, whose opt-in is /start: no answer there either, as on
    the channels where the word is the opt-in."""
    if message.channel != "telegram" or message.kind != "text":
        return False
    return _escape_word(message.text, message.channel) == "start"


def _escape_word(text: str, channel: str) -> str:
    """The message as an escape word would be: the whole of it, any case, no end stop; on
    Telegram, a bot's command too (``/cancel``, ``/agent``)."""
    word = caseless(text.strip().rstrip(".!?").strip()) if len(text) <= 40 else ""
    return word.removeprefix("/") if channel == "telegram" else word


def _context(flow: Flow, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers by step id and by saved field, for ``{name}`` in the flow's texts."""
    context: dict[str, str] = {}
    for step in flow.steps:
        if step.id in answers:
            context[step.id] = answers[step.id]
            if step.save:
                context[step.save] = answers[step.id]
    return context


def _prompt(step: FlowStep, context: Mapping[str, str]) -> Reply:
    return Reply(fill(step.ask, context), step.choices)


def _stitched(step: FlowStep, value: str) -> tuple[Identity, ...]:
    """The identity a ``stitch`` step's valid answer is (an email, a phone in E.164)."""
    if not step.stitch:
        return ()
    try:
        return (normalize_identity(step.input, value, ""),)
    except InvalidIdentityError:  # valid as an answer, it is one: never so
        return ()


def _asked_again(
    flow: Flow, step: FlowStep, state: FlowState, message: Inbound, now: float, said: str
) -> FlowOutcome:
    """The step's question again, after ``said`` if anything, for a message that answers
    no question (a bot's command, START): none of the step's tries is used."""
    context = _context(flow, state.answers)
    prompt = _prompt(step, context)
    text = _fitted(f"{said}\n{prompt.text}") if said else prompt.text
    kept = replace(state, updated_at=now, last=message.provider_id)
    return FlowOutcome(
        handled=True, state=kept, replies=(Reply(text, prompt.buttons),), flow=flow.name
    )


def _ended(flow: Flow, how: str, text: str, saves: Mapping[str, str] | None = None) -> FlowOutcome:
    return FlowOutcome(True, None, (Reply(text),), saves or {}, flow=flow.name, ended=how)


def _handoff(
    flow: Flow, context: Mapping[str, str], saves: Mapping[str, str], reason: str
) -> FlowOutcome:
    reply = Reply(fill(flow.handoff, context))
    return FlowOutcome(True, None, (reply,), saves, reason, flow.name, "handoff")


def _choice(choices: Sequence[str], message: Inbound) -> int | None:
    """The choice a press (``b:<index>``), a number ("2") or the option's words pick."""
    if message.kind in ("button", "list"):
        pressed = CHOICE_PAYLOAD.fullmatch(message.payload)
        if pressed and int(pressed[1]) < len(choices):
            index = int(pressed[1])
            # A button of an earlier question (pressed twice, or late) has the same ids:
            # its label, which every channel sends with the press, tells it apart (and
            # the message pressed, where the channel says which: see ``_answer``).
            return index if _labels(message.text, choices[index]) else None
    answer = message.text.strip()
    wanted = caseless(answer)
    found = next((n for n, c in enumerate(choices) if caseless(c) == wanted), None)
    if found is None and (bare := _unstopped(wanted)):  # "Evening!" for "Evening"
        found = next((n for n, c in enumerate(choices) if _unstopped(caseless(c)) == bare), None)
    numbered = _NUMBERED.fullmatch(answer)
    place = int(numbered[1]) - 1 if numbered and 1 <= int(numbered[1]) <= len(choices) else None
    if message.channel == "sms":  # its options go numbered: "1" is the first
        return place if place is not None else found
    # Elsewhere the options are buttons, with no numbers beside them: "1" typed to the
    # options 5, 2 and 1 is the option 1; to Morning and Evening, the first.
    return found if found is not None else place


def _unstopped(text: str) -> str:
    """``text`` without the stops that end a sentence (. ! ?), nor the spaces before them."""
    return text.rstrip(".!? ").strip()


def _labels(label: str, choice: str) -> bool:
    """Whether a pressed button's ``label`` is ``choice``'s: the same words, or the start
    of them cut short with an ellipsis (WhatsApp's titles are at most 20 characters)."""
    label = label.strip()
    if label.endswith("…"):  # before ``caseless``, which makes it "..."
        return caseless(choice).startswith(caseless(label[:-1]))
    return not label or caseless(label) == caseless(choice)


def _number(step: FlowStep, text: str) -> tuple[str | None, str]:
    cleaned = re.sub(r"[\s£$€]", "", text).replace("\u2212", "-").removeprefix("+")
    if _GROUPED.fullmatch(cleaned):  # 1,250 or 12,500.50: commas between thousands
        cleaned = cleaned.replace(",", "")
    elif _DECIMAL_COMMA.fullmatch(cleaned):  # 1,5: a decimal comma, as most of Europe writes
        cleaned = cleaned.replace(",", ".")
    if len(cleaned) > 30 or not _NUMBER.fullmatch(cleaned):
        return None, _PROBLEMS["number"]
    # Exactly as typed: a float keeps 15 or 16 digits, and 12345678901234567 was saved
    # as 12345678901234568.
    value = Decimal(cleaned)
    low, high = step.minimum, step.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return None, f"Please answer with a number from {_show(low)} to {_show(high)}."
        if low is not None:
            return None, f"Please answer with a number of at least {_show(low)}."
        return None, f"Please answer with a number of at most {_show(high or 0)}."
    if value == value.to_integral_value():
        return str(int(value)), ""
    return format(value.normalize(), "f"), ""


def _show(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _date(step: FlowStep, text: str, today: date) -> tuple[str | None, str]:
    iso, uk = _ISO_DATE.fullmatch(text), _UK_DATE.fullmatch(text)
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif uk:
            day = date(int(uk[3]), int(uk[2]), int(uk[1]))
        else:
            return None, _PROBLEMS["date"]
    except ValueError:
        return None, "That date doesn't exist; please check the day and the month."
    if step.future and day < today:
        return None, "Please give a date that isn't in the past."
    return day.isoformat(), ""
