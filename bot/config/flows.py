"""Guided conversations as configured (AU-2): flows of steps, each a question with an
input type, read from the automation section or from YAML files it names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import regex
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, model_validator

from bot.config.base import ConfigError, Section, TimeZone, matching
from bot.config.yamlfile import read_flow_yaml

INPUT_TYPES = ("text", "choice", "email", "phone", "number", "date")
ENDINGS = ("end", "handoff")
"""Where a step may lead besides another step: the end message, or a person."""
DEFAULT_TIMEOUT = 3600.0
MAX_TIMEOUT = 30 * 24 * 3600
"""The longest a flow may wait for an answer (seconds): its state is kept in Redis that long."""
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_LENGTH = 500
MAX_CHOICES = 10
"""A WhatsApp list holds 10 rows, the most any channel here shows as buttons."""
MAX_CHOICE_LENGTH = 24
"""A WhatsApp list row's title; up to 20 characters they are reply buttons."""
DEFAULT_END = "Thanks, that's everything we need."
DEFAULT_HANDOFF = "Connecting you to a member of our team."
DEFAULT_CANCELLED = "OK, stopped. Write any time if you need us."

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_BRACED = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
"""What reads as a placeholder, in any case: one not lowercase is sent as written."""
STITCHED_INPUTS = ("email", "phone")
"""The inputs whose answers may join the customer's profile as identities."""
_ONLY_FOR = {"choices": "choice", "min": "number", "max": "number", "future": "date"}
_ONLY_FOR |= {"max_length": "text"}
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One question of a flow, and what a valid answer to it is."""

    id: str
    ask: str
    input: str = "text"
    """``text``, ``choice``, ``email``, ``phone``, ``number`` or ``date``."""
    save: str = ""
    """The profile field (``f:<save>``) the answer goes to; '' keeps it in the flow only."""
    choices: tuple[str, ...] = ()
    next: str = ""
    """Where a valid answer leads: a step id, ``end`` or ``handoff``; '' is the next step."""
    branches: tuple[tuple[str, str], ...] = ()
    """For a choice: (choice, where it leads), overriding ``next``."""
    retry: str = ""
    """What an invalid answer is told before the question is asked again; '' explains."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Questions asked again after invalid answers; one more invalid answer hands off."""
    minimum: float | None = None
    maximum: float | None = None
    future: bool = False
    """For a date: refuse days before today."""
    max_length: int = DEFAULT_MAX_LENGTH
    stitch: bool = False
    """The answer (an email, a phone) joins the customer's profile as an identity."""


@dataclass(frozen=True, slots=True)
class Flow:
    """A guided conversation: its questions in order, how it starts and how it ends."""

    name: str
    steps: tuple[FlowStep, ...]
    start: tuple[str, ...] = ()
    """Keywords that start it, as written; matched like a rule's (whole words, any case:
    ``handlers.patterns``)."""
    end: str = DEFAULT_END
    handoff: str = DEFAULT_HANDOFF
    cancelled: str = DEFAULT_CANCELLED
    intro: str = ""
    """Said once before the first question."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds of silence after which the flow is forgotten."""
    timezone: str = "UTC"
    """Where "today" is, for dates that must not be in the past."""
    priority: int = 0
    """The priority of its start keywords among the keyword rules."""

    def step(self, step_id: str) -> FlowStep | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def after(self, step: FlowStep) -> str:
        """The step that follows ``step`` in order, or ``end`` after the last."""
        index = self.steps.index(step)
        return self.steps[index + 1].id if index + 1 < len(self.steps) else "end"


def flow_file_places(path: str) -> list[Path]:
    """Where a flow file named in the config is looked for, in order: a relative path in
    the working directory, then in the project's (where the shipped examples live)."""
    places = [Path(path)]
    if not Path(path).is_absolute():
        places.append(PROJECT_ROOT / path)
    return places


def find_flow_file(path: str) -> Path | None:
    """Where a flow file named in the config is (``flow_file_places``), if anywhere."""
    return next((p for p in flow_file_places(path) if p.is_file()), None)


def _flow_files_named(document: Any) -> list[tuple[tuple[str, ...], str]]:
    """The flow files a config document names (``flows: {name: {file: ...}}``, in the
    runtime's automation and each service's), each with the key that names it."""
    automations: list[tuple[tuple[str, ...], Any]] = []
    if isinstance(document, dict):
        automations.append((("automation",), document.get("automation")))
        services = document.get("services")
        for n, service in enumerate(services if isinstance(services, list) else []):
            if isinstance(service, dict):
                automations.append((("services", str(n), "automation"), service.get("automation")))
    named = []
    for at, automation in automations:
        flows = automation.get("flows") if isinstance(automation, dict) else None
        for name, flow in flows.items() if isinstance(flows, dict) else []:
            file = flow.get("file") if isinstance(flow, dict) else None
            if isinstance(file, str):
                named.append(((*at, "flows", str(name)), file))
    return named


def named_flow_files(document: Any) -> list[tuple[tuple[str, ...], Path]]:
    """The flow files a config document names, each with the key that names it, where
    they are now; those not found are left out."""
    found = [(key, find_flow_file(file)) for key, file in _flow_files_named(document)]
    return [(key, where) for key, where in found if where is not None]


def watched_flow_files(document: Any) -> list[Path]:
    """Every place a flow file the document names is looked for, there or not: a watch
    sees a file appear (one named before it was written, or a copy in the working
    directory over the project's)."""
    return [where for _, file in _flow_files_named(document) for where in flow_file_places(file)]


def load_flow_file(path: str) -> dict[str, Any]:
    """A flow's definition from a YAML file (``find_flow_file`` says where)."""
    found = find_flow_file(path)
    if found is None:
        raise ValueError(f"no flow file {path}")
    try:
        # As the config file is read: at most 1 MiB, and PyYAML's own loader keeps the
        # last of a key written twice (a second ``steps:``), silently.
        document = read_flow_yaml(str(found))
    except ConfigError as error:
        raise ValueError(str(error)) from None
    if not isinstance(document, dict):
        raise ValueError(f"{path} must hold a mapping (start, steps, end)")
    return document


def _as_text(value: Any) -> Any:
    # A number written bare is text all the same: ``ask: 42`` asks "42".
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _label(value: Any) -> Any:
    """A choice as written: YAML reads a bare Yes/No as true/false, so they come back."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(_as_text(value)).strip() if isinstance(value, str | int | float) else value


_DOTTED_I = "i\u0307"
_WORD = regex.compile(r"\w")
"""A character of a word, as a keyword's bounds read it (``handlers.patterns``)."""


def caseless(text: str) -> str:
    """``text`` as words are compared, a configured one (a keyword, a start word, a
    choice) and what a customer typed alike: in any case, fully folded ("STRASSE" is
    "straße"; Turkish "İSTANBUL" is "istanbul"), and in any Unicode form (a decomposed
    "café", full-width letters)."""
    if text.isascii():
        return text.lower()  # what the rest does to ASCII, at a fraction of the cost
    if not unicodedata.is_normalized("NFKC", text):
        text = "".join(map(_compatible, text))
    folded = unicodedata.normalize("NFD", text).casefold()
    # "İ" folds to "i" and a combining dot above, which "istanbul" or "ISTANBUL" has not;
    # the dot is the one the "i" has anyway. Turkish dotless i (U+0131) has "I" for its
    # capital, which folds to "i": "KAPALI" is "kapal\u0131" (as a case-blind regex took
    # them).
    folded = folded.replace(_DOTTED_I, "i").replace("\u0131", "i")
    return unicodedata.normalize("NFC", folded)


@lru_cache(maxsize=1024)
def _compatible(char: str) -> str:
    """``char`` in its compatibility form (NFKC: "\uff28" is "H", "\ufb01" "fi") when that
    is of its kind, all word characters or none: "\u2122" stays, for as "TM" it would
    join the word before it ("Hours\u2122" missed "hours"), and "\u2116" is no "No"."""
    form = unicodedata.normalize("NFKC", char)
    wordy = _WORD.match(char) is not None
    if all((_WORD.match(part) is not None) == wordy for part in form):
        return form
    return char


def _filled(text: str) -> str:
    if not text:
        raise ValueError("must not be empty")
    return text


Keyword = Annotated[str, AfterValidator(str.strip), AfterValidator(_filled)]
"""A word or words that start something: never empty (an empty one matches most messages)."""


def _not_an_ending(step_id: str) -> str:
    if step_id in ENDINGS:
        raise ValueError(f"{step_id!r} is reserved for the flow's ending")
    return step_id


Name = Annotated[str, matching(r"[a-z][a-z0-9_]{0,39}", "lowercase letters, digits and _")]
OptionalText = Annotated[
    str,
    BeforeValidator(_as_text, json_schema_input_type=str | int | float),
    AfterValidator(str.strip),
    Field(max_length=1024),
]
"""Text of at most 1024 characters (WhatsApp's button body)."""
Text = Annotated[OptionalText, AfterValidator(_filled)]


def _row(choice: str) -> str:
    if not 1 <= len(choice) <= MAX_CHOICE_LENGTH:
        raise ValueError(
            f"{choice!r} must be 1 to {MAX_CHOICE_LENGTH} characters (WhatsApp's limit for a row)"
        )
    return choice


Label = Annotated[str, BeforeValidator(_label), AfterValidator(_row)]
"""A choice: 1 to 24 characters, WhatsApp's limit for a list row."""


class StepFile(Section):
    """One question of a flow, and what a valid answer to it is."""

    id: Annotated[Name, AfterValidator(_not_an_ending)]
    ask: Text
    input: Literal["text", "choice", "email", "phone", "number", "date"] = "text"
    save: Name | Literal[""] = ""
    """The profile field (``f:<save>``) the answer goes to."""
    choices: Annotated[list[Label], Field(min_length=1, max_length=MAX_CHOICES)] | None = None
    """For input choice: the buttons."""
    next: str | dict[Label, str] = ""
    """Where a valid answer leads: a step id, ``end`` or ``handoff`` (or one per choice)."""
    retry: OptionalText = ""
    """What an invalid answer is told before the question is asked again."""
    max_retries: int | None = Field(default=None, ge=0)
    min: float | None = None
    max: float | None = None
    future: bool = False
    """For a date: refuse days before today."""
    max_length: int = Field(default=DEFAULT_MAX_LENGTH, ge=1, le=4096)
    stitch: bool | None = None
    """For an email or a phone: the answer joins the customer's profile as an identity
    (merging the profile that holds it already); by default an email's does, a phone's
    (a number to call, perhaps the office's) does not."""

    @model_validator(mode="after")
    def _fits_its_input(self) -> StepFile:
        if self.stitch is not None and self.input not in STITCHED_INPUTS:
            raise ValueError(f"stitch is for input email or phone, not {self.input}")
        for key, only in _ONLY_FOR.items():
            if key in self.model_fields_set and self.input != only:
                raise ValueError(f"{key} is for input {only}, not {self.input}")
        if self.input == "choice" and not self.choices:
            raise ValueError(f"input choice needs choices, a list of 1 to {MAX_CHOICES}")
        known = {caseless(choice) for choice in self.choices or ()}
        if len(known) < len(self.choices or ()):
            raise ValueError("two choices are the same")
        if isinstance(self.next, dict):
            if self.input != "choice":
                raise ValueError("next by answer is for input choice; use next: <step>")
            for choice in self.next:
                if caseless(choice) not in known:
                    raise ValueError(f"next names {choice!r}, which is not a choice")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is more than max")
        return self

    def targets(self) -> list[str]:
        return list(self.next.values()) if isinstance(self.next, dict) else [self.next]


def _steps_or_file(schema: dict[str, Any]) -> None:
    # In the file as written, the steps may come from ``file``.
    schema["required"] = [key for key in schema.get("required", []) if key != "steps"]
    schema["anyOf"] = [{"required": ["steps"]}, {"required": ["file"]}]


class FlowFile(Section):
    """A guided conversation: ``{file: flows/x.yaml}`` or its questions written here
    (keys written beside ``file`` override the file's)."""

    model_config = ConfigDict(json_schema_extra=_steps_or_file)

    file: str | None = None
    start: list[Keyword] | Keyword = []
    """Keywords that start it, matched like a rule's (whole words, any case)."""
    steps: Annotated[list[StepFile], Field(min_length=1)]
    end: Text = DEFAULT_END
    handoff: Text = DEFAULT_HANDOFF
    cancelled: Text = DEFAULT_CANCELLED
    intro: OptionalText = ""
    """Said once before the first question."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    """Questions asked again after invalid answers; one more invalid answer hands off."""
    timeout: float | None = Field(default=None, gt=0, le=MAX_TIMEOUT)
    """Seconds of silence after which the flow is forgotten; unset: flow_timeout."""
    priority: int = 0
    """The priority of its start keywords among the keyword rules."""
    timezone: TimeZone | None = None
    """Where "today" is, for dates that must not be in the past; unset: the business
    hours' (``away.timezone``), else UTC."""

    @model_validator(mode="before")
    @classmethod
    def _from_its_file(cls, item: Any) -> Any:
        if isinstance(item, dict) and isinstance(item.get("file"), str):
            return {**load_flow_file(item["file"]), **item, "file": None}
        return item

    @model_validator(mode="after")
    def _connected(self) -> FlowFile:
        """Every problem of how the steps hang together, said at once."""
        ids = [step.id for step in self.steps]
        found = [f"two steps are called {i!r}" for i in dict.fromkeys(ids) if ids.count(i) > 1]
        for step in self.steps:
            for target in step.targets():
                if target and target not in ids and target not in ENDINGS:
                    found.append(f"step {step.id!r}: next {target!r} is not a step, end or handoff")
        found += self._placeholder_problems()
        if found:
            raise ValueError("\n".join(found))  # a line each (``problems``)
        return self

    def _placeholder_problems(self) -> list[str]:
        """Placeholders that would come out empty or as written: not lowercase, naming
        no step nor saved field, or asked for (in the intro or a step's question) before
        the step that answers it, when the steps go in order (no ``next`` leads back)."""
        place = {step.id: n for n, step in enumerate(self.steps)}
        for n, step in enumerate(self.steps):
            if step.save:
                place.setdefault(step.save, n)
        looped = any(
            place.get(target, len(self.steps)) <= n
            for n, step in enumerate(self.steps)
            for target in step.targets()
            if target in {s.id for s in self.steps}
        )
        texts: list[tuple[str, str, int | None]] = [
            ("end", self.end, None),
            ("handoff", self.handoff, None),
            ("cancelled", self.cancelled, None),
            ("intro", self.intro, 0),
        ]
        texts += [(f"step {s.id!r}", f"{s.ask} {s.retry}", n) for n, s in enumerate(self.steps)]
        found = []
        for what, text, asked_at in texts:
            for name in _BRACED.findall(text):
                if not PLACEHOLDER.fullmatch(f"{{{name}}}"):
                    found.append(
                        f"{what}: {{{name}}}: a placeholder is lowercase (a step id or a "
                        "saved field), or it is sent as written"
                    )
                elif name not in place:
                    found.append(f"{what}: {{{name}}} is not a step or a saved field")
                elif asked_at is not None and not looped and place[name] >= asked_at:
                    found.append(f"{what}: {{{name}}} is asked for before it is answered")
        return found


def flow_from(name: str, written: FlowFile, timeout: float, zone: str = "UTC") -> Flow:
    """The flow ``name`` of a validated definition; ``timeout`` and the time ``zone``
    unless it has its own."""
    start = [written.start] if isinstance(written.start, str) else written.start
    return Flow(
        name=name,
        steps=tuple(_step(step, written.max_retries) for step in written.steps),
        start=tuple(word.strip() for word in start if word.strip()),
        end=written.end,
        handoff=written.handoff,
        cancelled=written.cancelled,
        intro=written.intro,
        timeout=written.timeout or timeout,
        timezone=written.timezone or zone,
        priority=written.priority,
    )


def _step(written: StepFile, retries: int) -> FlowStep:
    choices = tuple(written.choices or ())
    canonical = {caseless(choice): choice for choice in choices}
    branches = written.next if isinstance(written.next, dict) else {}
    return FlowStep(
        id=written.id,
        ask=written.ask,
        input=written.input,
        save=written.save,
        choices=choices,
        next=written.next if isinstance(written.next, str) else "",
        branches=tuple((canonical[caseless(key)], to) for key, to in branches.items()),
        retry=written.retry,
        max_retries=retries if written.max_retries is None else written.max_retries,
        minimum=written.min,
        maximum=written.max,
        future=written.future,
        max_length=written.max_length,
        stitch=written.input == "email" if written.stitch is None else written.stitch,
    )
