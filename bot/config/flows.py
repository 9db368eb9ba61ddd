"""Guided conversations as configured (AU-2): flows of steps, each a question with an
input type, read from the automation section or from YAML files it names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.config.base import ConfigError

INPUT_TYPES = ("text", "choice", "email", "phone", "number", "date")
ENDINGS = ("end", "handoff")
"""Where a step may lead besides another step: the end message, or a person."""
DEFAULT_TIMEOUT = 3600.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_LENGTH = 500
MAX_CHOICES = 10
"""A WhatsApp list holds 10 rows, the most any channel here shows as buttons."""
MAX_CHOICE_LENGTH = 24
"""A WhatsApp list row's title; up to 20 characters they are reply buttons."""
DEFAULT_END = "Thanks, that's everything we need."
DEFAULT_HANDOFF = "Connecting you to a member of our team."
DEFAULT_CANCELLED = "OK, stopped. Write any time if you need us."

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_FLOW_KEYS = {"start", "steps", "end", "handoff", "cancelled", "intro", "max_retries"}
_FLOW_KEYS |= {"timeout", "priority", "timezone", "file"}
_STEP_KEYS = {"id", "ask", "input", "save", "choices", "next", "retry", "max_retries"}
_STEP_KEYS |= {"min", "max", "future", "max_length"}
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


@dataclass(frozen=True, slots=True)
class Flow:
    """A guided conversation: its questions in order, how it starts and how it ends."""

    name: str
    steps: tuple[FlowStep, ...]
    start: tuple[str, ...] = ()
    """Keywords that start it, matched like a rule's (whole words, any case)."""
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


def parse_flows(section: Any, timeout: float) -> tuple[Flow, ...]:
    """``flows: {name: {file: path} | {start, steps, ...}}`` as flows; ConfigError if bad."""
    if not section:
        return ()
    if not isinstance(section, dict):
        raise ConfigError("automation.flows maps a flow's name to its definition")
    return tuple(_flow(str(name), item, timeout) for name, item in section.items())


def load_flow_file(name: str, path: str) -> dict[str, Any]:
    """A flow's definition from a YAML file; a relative path is looked for in the working
    directory, then in the project's (where the shipped examples live)."""
    candidates = [Path(path)]
    if not Path(path).is_absolute():
        candidates.append(PROJECT_ROOT / path)
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise ConfigError(f"flow {name!r}: no flow file {path}")
    try:
        document = yaml.safe_load(found.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"flow {name!r}: cannot read {path}: {error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"flow {name!r}: {path} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"flow {name!r}: {path} must hold a mapping (start, steps, end)")
    return document


def _flow(name: str, item: Any, timeout: float) -> Flow:
    where = f"flow {name!r}"
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: a flow's name is lowercase letters, digits and _")
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with steps, or {{file: path}}")
    if "file" in item:
        item = {**load_flow_file(name, str(item["file"])), **item}
        item.pop("file")
    _no_unknown(item, _FLOW_KEYS - {"file"}, where)
    raw_steps = item.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ConfigError(f"{where}: steps must be a non-empty list")
    retries = _count(item.get("max_retries", DEFAULT_MAX_RETRIES), f"{where}: max_retries")
    steps = [_step(where, n, raw, retries) for n, raw in enumerate(raw_steps, 1)]
    ids = [step.id for step in steps]
    for step in steps:
        if ids.count(step.id) > 1:
            raise ConfigError(f"{where}: two steps are called {step.id!r}")
        for target in (step.next, *(t for _, t in step.branches)):
            if target and target not in ids and target not in ENDINGS:
                raise ConfigError(
                    f"{where}, step {step.id!r}: next {target!r} is not a step, end or handoff"
                )
    start = item.get("start") or []
    start = [start] if isinstance(start, str) else start
    if not isinstance(start, list) or not all(isinstance(w, str) and w.strip() for w in start):
        raise ConfigError(f"{where}: start is a list of keywords, like [callback, 'call me']")
    flow_timeout = _seconds(item.get("timeout", timeout), f"{where}: timeout")
    zone = str(item.get("timezone", "UTC"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown time zone {zone!r}") from None
    try:
        priority = int(item.get("priority", 0))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: priority must be a whole number") from None
    flow = Flow(
        name=name,
        steps=tuple(steps),
        start=tuple(word.strip().lower() for word in start),
        end=_text(item.get("end", DEFAULT_END), f"{where}: end"),
        handoff=_text(item.get("handoff", DEFAULT_HANDOFF), f"{where}: handoff"),
        cancelled=_text(item.get("cancelled", DEFAULT_CANCELLED), f"{where}: cancelled"),
        intro=_text(item.get("intro", ""), f"{where}: intro", empty=True),
        timeout=flow_timeout,
        timezone=zone,
        priority=priority,
    )
    _check_placeholders(flow)
    return flow


def _step(flow: str, number: int, raw: Any, retries: int) -> FlowStep:
    if not isinstance(raw, dict):
        raise ConfigError(f"{flow}, step {number}: expected a mapping with id, ask and input")
    step_id = raw.get("id")
    if not isinstance(step_id, str) or not _NAME.fullmatch(step_id):
        raise ConfigError(f"{flow}, step {number}: needs an id of lowercase letters, digits, _")
    where = f"{flow}, step {step_id!r}"
    _no_unknown(raw, _STEP_KEYS, where)
    if step_id in ENDINGS:
        raise ConfigError(f"{where}: {step_id!r} is reserved for the flow's ending")
    kind = raw.get("input", "text")
    if kind not in INPUT_TYPES:
        raise ConfigError(f"{where}: input must be one of {', '.join(INPUT_TYPES)}; got {kind!r}")
    for key, only in _ONLY_FOR.items():
        if key in raw and kind != only:
            raise ConfigError(f"{where}: {key} is for input {only}, not {kind}")
    save = raw.get("save", "")
    if save and (not isinstance(save, str) or not _NAME.fullmatch(save)):
        raise ConfigError(f"{where}: save names a field: lowercase letters, digits and _")
    choices = _choices(raw.get("choices"), where) if kind == "choice" else ()
    target = raw.get("next", "")
    branches: tuple[tuple[str, str], ...] = ()
    if isinstance(target, dict):
        if kind != "choice":
            raise ConfigError(f"{where}: next by answer is for input choice; use next: <step>")
        known = {choice.casefold(): choice for choice in choices}
        for key in map(_label, target):
            if key.casefold() not in known:
                raise ConfigError(f"{where}: next names {key!r}, which is not a choice")
        branches = tuple((known[_label(k).casefold()], str(v)) for k, v in target.items())
        target = ""
    elif not isinstance(target, str):
        raise ConfigError(f"{where}: next is a step id, end, handoff, or a map by choice")
    minimum, maximum = _number(raw, "min", where), _number(raw, "max", where)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ConfigError(f"{where}: min is more than max")
    max_length = _count(raw.get("max_length", DEFAULT_MAX_LENGTH), f"{where}: max_length")
    if not 1 <= max_length <= 4096:
        raise ConfigError(f"{where}: max_length is between 1 and 4096 characters")
    return FlowStep(
        id=step_id,
        ask=_text(raw.get("ask"), f"{where}: ask"),
        input=kind,
        save=save,
        choices=choices,
        next=target,
        branches=branches,
        retry=_text(raw.get("retry", ""), f"{where}: retry", empty=True),
        max_retries=_count(raw.get("max_retries", retries), f"{where}: max_retries"),
        minimum=minimum,
        maximum=maximum,
        future=bool(raw.get("future", False)),
        max_length=max_length,
    )


def _choices(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CHOICES:
        raise ConfigError(f"{where}: input choice needs choices, a list of 1 to {MAX_CHOICES}")
    choices = tuple(_label(item) for item in raw)
    for choice in choices:
        if not choice or len(choice) > MAX_CHOICE_LENGTH:
            raise ConfigError(
                f"{where}: choice {choice!r} must be 1 to {MAX_CHOICE_LENGTH} characters "
                "(WhatsApp's limit for a list row)"
            )
    if len({choice.casefold() for choice in choices}) < len(choices):
        raise ConfigError(f"{where}: two choices are the same")
    return choices


def _label(value: Any) -> str:
    """A choice as written: YAML reads a bare Yes/No as true/false, so they come back."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).strip()


def _check_placeholders(flow: Flow) -> None:
    """Every ``{name}`` in the flow's texts must be a step's id or a saved field."""
    known = {step.id for step in flow.steps} | {step.save for step in flow.steps if step.save}
    texts = [("end", flow.end), ("handoff", flow.handoff), ("intro", flow.intro)]
    texts += [(f"step {s.id!r}", f"{s.ask} {s.retry}") for s in flow.steps]
    for what, text in texts:
        for name in PLACEHOLDER.findall(text):
            if name not in known:
                raise ConfigError(
                    f"flow {flow.name!r}, {what}: {{{name}}} is not a step or a saved field"
                )


def _no_unknown(item: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(allowed))}"
        )


def _text(value: Any, where: str, *, empty: bool = False) -> str:
    if value is None:
        raise ConfigError(f"{where} is missing")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ConfigError(f"{where} must be text")
    text = str(value).strip()
    if not text and not empty:
        raise ConfigError(f"{where} must not be empty")
    if len(text) > 1024:
        raise ConfigError(f"{where} is longer than 1024 characters (WhatsApp's button body)")
    return text


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where} must be a whole number, 0 or more")
    return value


def _seconds(value: Any, where: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be a number of seconds") from None
    if not 0 < seconds <= 30 * 24 * 3600:
        raise ConfigError(f"{where} must be more than 0 and at most 30 days")
    return seconds


def _number(raw: dict[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {key} must be a number")
    return float(value)
