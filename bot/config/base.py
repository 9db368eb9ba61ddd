"""What every part of the configuration shares: its error, the base of the file's models,
and the wording of their refusals, one line each naming the file, the line and the key."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

Path = tuple[str | int, ...]
"""Where a value sits in the file: keys and list positions from the top."""
Lines = Mapping[tuple[str, ...], tuple[str, int]]
"""A path (each part as text) -> (the file, the line) where its key or item is written."""


class ConfigError(Exception):
    """The configuration cannot start a runtime; each problem is one line saying what to fix."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Section(BaseModel):
    """A part of the config file as written: unknown keys are refused, and YAML's values
    are not coerced (``concurrency: true`` is not 1, ``reply: 42`` is not text)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,  # .inf seconds overflow every timer that reads them
    )


def known_zone(name: str) -> str:
    """``name`` if it is a time zone this system knows; ValueError if not."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


TimeZone = Annotated[str, AfterValidator(known_zone)]
"""An IANA time zone name, such as Europe/London."""


def on_the_clock(moment: datetime) -> bool:
    """Whether the clocks of ``moment``'s zone ever show its wall time: not when it falls
    in the hour a daylight-saving change skips (01:30 in London the night summer time
    starts)."""
    shown = datetime.fromtimestamp(moment.timestamp(), moment.tzinfo)
    return shown.replace(tzinfo=None) == moment.replace(tzinfo=None)


ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")
"""An origin a visitor token (or a Content-Security-Policy) can carry: nothing but scheme,
host and port; the config file's ``tracking.origins`` take no other."""


def browser_origin(origin: str) -> str:
    """``origin`` as a browser's ``Origin`` names it: without the scheme's own port
    (``https://shop.example.com:443`` is ``https://shop.example.com``)."""
    scheme, rest = origin.split("://", 1)
    default = {"http": ":80", "https": ":443"}[scheme.lower()]
    return f"{scheme}://{rest.removesuffix(default)}"


def matching(pattern: str, wanted: str) -> AfterValidator:
    """A check that text matches ``pattern`` whole; the refusal says it ``must be <wanted>``."""
    compiled = re.compile(pattern)

    def check(text: str) -> str:
        if not compiled.fullmatch(text):
            raise ValueError(f"must be {wanted} (got {text!r})")
        return text

    return AfterValidator(check)


NUMBER = re.compile(r"(wa|tg|sms|web):[A-Za-z0-9_.+-]{1,64}")
"""A business number as the bot names it: ``wa:<phone number id>``, ``sms:+447700900999``,
``tg:<bot id>``, ``web:<site>``."""
A_NUMBER = "a number such as wa:106540352242922"


def http_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host, without spaces or control
    characters; ValueError saying what it must be otherwise."""
    wanted = "must be an http(s) URL, like https://bot.example.com"
    if any(character.isspace() or not character.isprintable() for character in url):
        raise ValueError(wanted)
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError for one that is no number, or past 65535
    except ValueError:  # an IPv6 host without its closing bracket
        raise ValueError(wanted) from None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host or port == 0:
        raise ValueError(wanted)
    if ":" not in host and "" in host.removesuffix(".").split("."):  # a.b..c, .a.b
        raise ValueError(wanted)
    return url


def dotted(path: Iterable[str | int]) -> str:
    """``("automation", "rules", 2, "reply")`` -> ``automation.rules[2].reply``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def where(path: Path, lines: Lines | None) -> str:
    """``file:line: `` of the nearest written key on ``path``, or '' when it is unknown."""
    parts = tuple(str(part) for part in path)
    while lines is not None:
        if parts in lines:
            file, line = lines[parts]
            return f"{file}:{line}: "
        if not parts:
            # A key of the file's top that no line is known for: the file, at least.
            return next((f"{file}: " for file, _ in lines.values()), "")
        parts = parts[:-1]
    return ""


_WORDS = {
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "model_type": "must be a mapping",
    "missing": "is required",
}


def problems(
    error: ValidationError,
    model: type[BaseModel] | None = None,
    *,
    root: Path = (),
    lines: Lines | None = None,
) -> list[str]:
    """Each of pydantic's errors as one line: ``file:line: key.path: what is wrong (got x)``."""
    found, seen = [], set()
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if not _is_union_branch(part))
        if loc in seen:  # another branch of a union: the first one's word is enough
            continue
        seen.add(loc)
        path, kind = (*root, *loc), item["type"]
        at = where(path, lines)
        if kind == "extra_forbidden":
            close = difflib.get_close_matches(str(loc[-1]), _known_keys(model, loc), n=1)
            message = "unknown key" + (f" (did you mean {close[0]}?)" if close else "")
        else:
            # A secret written where a number or text goes is not shown (REL-5).
            message = wording(item, shown=not _secret_key(loc))
        # A check that found several problems says each on a line of its own.
        found += [f"{at}{dotted(path) or 'the file'}: {one}" for one in message.split("\n")]
    found.sort(key=line_of)
    return found


def line_of(problem: str) -> int:
    """The line a problem names, to list them in the file's order."""
    parts = problem.split(":", 2)
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0


_SECRET_WORDS = ("secret", "token", "password", "key")


def _secret_key(loc: tuple[Any, ...]) -> bool:
    """Whether a key of the file holds a secret, by its name (``secret``, ``*_token``)."""
    return any(isinstance(part, str) and part.lower().endswith(_SECRET_WORDS) for part in loc)


def wording(item: Any, *, shown: bool = True) -> str:
    """What one of pydantic's errors says is wrong, in our words: ``must be ... (got x)``."""
    kind, value = item["type"], item.get("input")
    message = _WORDS.get(kind) or _reworded(item["msg"])
    if kind in ("missing", "value_error") or not shown:
        return message
    if not isinstance(value, dict | list | BaseModel):
        message += f" (got {value!r}{_read_as_text(kind, value)})"
    return message


_EXPONENT = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+")
"""A number with an exponent, which YAML 1.1 (PyYAML) reads as text unless it has a dot
and a sign in its exponent: ``1e9`` and ``1.5e9`` are text, ``1.5e+9`` a number."""


def _read_as_text(kind: str, value: object) -> str:
    """For a number written so that YAML read it as text, how to write it instead."""
    if kind not in ("float_type", "int_type") or not isinstance(value, str):
        return ""
    if not _EXPONENT.fullmatch(value) or abs(number := float(value)) == float("inf"):
        return ""
    written = str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:e}"
    return f", which YAML reads as text: write {written}"


def _reworded(message: str) -> str:
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if message.startswith("Input should be "):
        message = "must be " + message.removeprefix("Input should be ")
    for theirs, ours in _PHRASES:
        message = message.replace(theirs, ours)
    return re.sub(r" after validation, not \d+$", "", message)


_PHRASES = (
    ("greater than or equal to", "at least"),
    ("less than or equal to", "at most"),
    ("String should have", "must have"),
    ("List should have", "must have"),
    ("Dictionary should have", "must have"),
)


def _is_union_branch(part: str | int) -> bool:
    # pydantic names the branch of a union that it tried: ``str``, ``function-after[...]``.
    return isinstance(part, str) and (
        part in ("str", "int", "float", "bool", "none", "list[str]") or "[" in part
    )


def _known_keys(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> list[str]:
    """The keys the model at ``loc`` (an unknown key's place) knows, for a suggestion."""
    for part in loc[:-1]:
        if model is not None and isinstance(part, str) and part in model.model_fields:
            model = _inner_model(model.model_fields[part].annotation)
    return list(model.model_fields) if model is not None else []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        inner = _inner_model(argument)
        if inner is not None:
            return inner
    return None
