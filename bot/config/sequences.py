"""Drip sequences in the config file (AU-4): a trigger, then steps separated by waits, and
what stops a profile's way through them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, TypeAdapter, ValidationError, model_validator

from adapters import sms
from bot.config.base import A_NUMBER, NUMBER, ConfigError, Path, Section, matching, problems
from bot.config.templates import CATEGORIES, TemplateSpec, template_field, template_spec

NAME = r"[a-z0-9][a-z0-9_-]{0,39}"
"""A sequence's name: what the API's path, the CLI and the team chat call it."""
TOPIC = r"[a-z0-9][a-z0-9_.-]{0,39}"
EVENT = r"[A-Za-z0-9_.:-]{1,100}"
MAX_STEPS = 20
MAX_WAIT = 366 * 24 * 3600
_DURATION = re.compile(r"(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?(?:(\d{1,7})s)?")


def duration(text: str) -> float:
    """``3d``, ``1d12h``, ``90m``, ``0d``: seconds; ValueError if it is not one."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if not text or match is None or not any(match.groups()):
        raise ValueError(f"{str(text)[:20]!r} is not a wait such as 0d, 3d, 12h or 1d12h")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = days * 86400 + hours * 3600 + minutes * 60 + seconds
    if total > MAX_WAIT:
        raise ValueError(f"{text!r}: a wait is at most 366 days")
    return float(total)


@dataclass(frozen=True, slots=True)
class SequenceStep:
    """One message of a sequence, sent ``wait`` seconds after the step before it (the
    first step: after the enrolment)."""

    wait: float
    text: str = ""
    template: TemplateSpec | None = None
    category: str = "utility"
    name: str = ""


@dataclass(frozen=True, slots=True)
class Sequence:
    """A drip sequence: who is enrolled (the trigger), what they get, and what stops it."""

    name: str
    number: str
    """The number the steps are sent from; triggers on other numbers do not enrol."""
    trigger: str
    """``topic_joined``, ``workflow`` or ``first_contact``."""
    trigger_value: str
    """The topic or the event type; '' for a first contact."""
    steps: tuple[SequenceStep, ...]
    stop_on: frozenset[str] = frozenset({"opt_out"})
    """``reply``, ``opt_out`` and ``workflow:<event>`` (a conversion)."""
    topic: str = ""
    """Steps skip a profile unsubscribed from this topic (``topic_conflict``)."""
    respect_quiet_hours: bool = True
    enabled: bool = True

    @property
    def conversions(self) -> frozenset[str]:
        """The workflow events that end a profile's way through the sequence."""
        return frozenset(s.partition(":")[2] for s in self.stop_on if s.startswith("workflow:"))


def _wait(value: str) -> str:
    duration(value)
    return value


def _stop(value: str) -> str:
    if value in ("reply", "opt_out"):
        return value
    kind, _, event = value.partition(":")
    if kind != "workflow" or not re.fullmatch(EVENT, event):
        raise ValueError(f"{value[:60]!r}: a stop is reply, opt_out or workflow:<event>")
    return value


class TriggerFile(Section):
    """``{topic_joined: offers}``, ``{workflow: signup}`` or ``{first_contact: true}``."""

    topic_joined: Annotated[str, matching(TOPIC, "a topic name such as offers")] = ""
    workflow: Annotated[str, matching(EVENT, "an event type such as signup")] = ""
    first_contact: bool = False

    @model_validator(mode="after")
    def _one(self) -> TriggerFile:
        given = [bool(self.topic_joined), bool(self.workflow), self.first_contact]
        if sum(given) != 1:
            raise ValueError("a trigger is one of topic_joined, workflow or first_contact: true")
        return self


class StepFile(Section):
    """``{wait: 3d, text: …}`` or ``{wait: 7d, template: {…}}``."""

    wait: Annotated[str, AfterValidator(_wait)]
    """How long after the step before (the first: after the enrolment): 0d, 3d, 12h."""
    name: str = Field(default="", max_length=60)
    text: str = Field(default="", max_length=4096)
    template: Annotated[dict[str, Any], AfterValidator(template_field)] | None = None
    """``{name, language, category, variables}`` of a WhatsApp template."""
    category: Literal["marketing", "utility", "authentication"] | None = None
    """For a text: ``marketing`` needs the profile's consent. A template's is its own."""

    @model_validator(mode="after")
    def _something(self) -> StepFile:
        if not self.text.strip() and self.template is None:
            raise ValueError("a step needs a template or a text")
        if self.template is not None and self.category not in (None, self.template["category"]):
            raise ValueError("'category' must be the template's category")
        return self


class SequenceFile(Section):
    """``{name, number, trigger, steps, stop_on, topic, respect_quiet_hours, enabled}``."""

    name: Annotated[str, matching(NAME, "lowercase letters, digits, _ and -")]
    number: Annotated[str, matching(NUMBER.pattern, A_NUMBER)]
    trigger: TriggerFile
    steps: list[StepFile] = Field(min_length=1, max_length=MAX_STEPS)
    stop_on: list[Annotated[str, AfterValidator(_stop)]] = ["opt_out"]
    """reply, opt_out and workflow:<event> (a conversion, e.g. workflow:order_placed)."""
    topic: Annotated[str, matching(f"|{TOPIC}", "a topic name such as offers")] = ""
    respect_quiet_hours: bool = True
    enabled: bool = True

    @model_validator(mode="after")
    def _steps_fit_their_channel(self) -> SequenceFile:
        if self.number.startswith("wa:"):
            return self
        for index, step in enumerate(self.steps):
            if step.template is not None and not step.text.strip():
                raise ValueError(f"steps[{index}]: templates are WhatsApp's; give a text")
            if self.number.startswith("sms:") and (problem := sms.body_problem(step.text)):
                raise ValueError(f"steps[{index}].text: {problem}")
        return self


Sequences = TypeAdapter(list[SequenceFile])


def unique_names(sequences: list[SequenceFile]) -> list[SequenceFile]:
    names = [sequence.name for sequence in sequences]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice:
        raise ValueError(f"sequence {twice!r} is listed twice")
    return sequences


def sequence_definitions(items: Any, root: Path = ("sequences",)) -> tuple[Sequence, ...]:
    """The ``sequences:`` list; ConfigError names the sequence that is wrong."""
    try:
        return sequences_from(unique_names(Sequences.validate_python(items)))
    except ValidationError as error:
        raise ConfigError(*problems(error, SequenceFile, root=root)) from None
    except ValueError as error:
        raise ConfigError(f"sequences: {error}") from None


def sequences_from(written: list[SequenceFile]) -> tuple[Sequence, ...]:
    return tuple(_sequence(sequence) for sequence in written)


def _sequence(written: SequenceFile) -> Sequence:
    trigger = written.trigger
    if trigger.topic_joined:
        kind, value = "topic_joined", trigger.topic_joined
    elif trigger.workflow:
        kind, value = "workflow", trigger.workflow
    else:
        kind, value = "first_contact", ""
    steps = []
    for step in written.steps:
        template = template_spec(step.template) if step.template else None
        category = template.category if template else step.category or "utility"
        assert category in CATEGORIES
        steps.append(
            SequenceStep(duration(step.wait), step.text.strip(), template, category, step.name)
        )
    return Sequence(
        name=written.name,
        number=written.number,
        trigger=kind,
        trigger_value=value,
        steps=tuple(steps),
        stop_on=frozenset(written.stop_on),
        topic=written.topic,
        respect_quiet_hours=written.respect_quiet_hours,
        enabled=written.enabled,
    )
