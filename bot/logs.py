"""Log lines: one event per line, as JSON or as text, each carrying the context of the work
in hand (the conversation, the event, the service, the shard, the HTTP request)."""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import TextIO
from urllib.parse import unquote_plus, urlsplit

import orjson

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("json", "text")
REDACTED = "[redacted]"
SECRET_NAME = re.compile(r"(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIALS?|API_KEY)(_|$)")
"""Environment variables whose values never show in a line: WHATSAPP_APP_SECRET,
TELEGRAM_BOT_TOKEN, TWILIO_AUTH_TOKEN, a service's ``${SINK_SECRET}``..."""
SHORTEST_SECRET = 8
"""Shorter values are left alone: redacting them would garble ordinary words."""

_context: ContextVar[Mapping[str, object]] = ContextVar("log_context", default=MappingProxyType({}))

# What every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class LoggingSetupError(ValueError):
    """LOG_LEVEL or LOG_FORMAT holds a value the logs cannot take."""


def bound(**fields: object) -> _Bound:
    """Every line logged inside the block carries ``fields`` (conversation_id, shard...)."""
    return _Bound(fields)


class _Bound:
    """``bound``'s block: a class rather than a generator, as it wraps every message,
    send and request (a few microseconds less each)."""

    __slots__ = ("fields", "token")

    def __init__(self, fields: Mapping[str, object]) -> None:
        self.fields = fields
        self.token: Token[Mapping[str, object]] | None = None

    def __enter__(self) -> None:
        self.token = _context.set({**_context.get(), **self.fields})

    def __exit__(self, *exc: object) -> None:
        if self.token is not None:
            _context.reset(self.token)


def bind(**fields: object) -> None:
    """Every later line of the current task (or context) carries ``fields``."""
    _context.set({**_context.get(), **fields})


def _fields(record: logging.LogRecord) -> dict[str, object]:
    """The record's context and its ``extra=`` fields."""
    fields = dict(_context.get())
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            fields[key] = value
    return fields


def url_passwords(url: str) -> list[str]:
    """The passwords a URL holds: before its host (``redis://user:password@host``) and in
    its query (``?password=...``, as redis-py reads it); none when it is no URL."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL after all
        return []
    found = [parts.password] if parts.password else []
    found += [unquote_plus(value) for value in QUERY_PASSWORD.findall(parts.query)]
    return [password for password in found if password]


QUERY_PASSWORD = re.compile(r"(?:^|&)password=([^&]*)", re.IGNORECASE)
"""A password in a URL's query."""


def secrets_in(environ: Mapping[str, str]) -> list[str]:
    """The values to keep out of every line: those of variables named like secrets, and
    the passwords in URLs (``REDIS_URL=redis://user:password@host``, or ``?password=``);
    longest first."""
    found = set()
    for name, value in environ.items():
        if SECRET_NAME.search(name.upper()):
            found.add(value)
        elif name.upper().endswith("_URL"):
            found.update(url_passwords(value))
    return sorted((s for s in found if len(s) >= SHORTEST_SECRET), key=len, reverse=True)


class Redactor:
    """Replaces each secret it knows in a text; with ``cut``, also the start of one cut
    short (a refusal that quotes 40 characters of a value), down to ``SHORTEST_SECRET``."""

    def __init__(self, secrets: Sequence[str] = (), *, cut: bool = False) -> None:
        # Each as written, and as a JSON line or a repr() quotes it (a quote or a backslash
        # escaped), the longest first: a line is redacted once encoded.
        forms = {form for secret in secrets for form in _quoted(secret)}
        self.secrets = tuple(sorted(forms, key=len, reverse=True))
        self.cut = cut

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        # Then what is left of one cut short: a whole one of another form may start so.
        for secret in self.secrets if self.cut else ():
            if secret[:SHORTEST_SECRET] in text:
                text = _without_starts_of(secret, text)
        return text


def _quoted(secret: str) -> set[str]:
    """``secret`` as written, as a JSON string holds it, as ``repr`` writes it (in either
    quotes: a value around it with a quote of its own decides which), and a ``repr`` of
    it in a JSON line."""
    plain = repr(secret)[1:-1].replace("\\'", "'")  # its quote escaped or not, as the
    forms = {secret, plain, plain.replace("'", "\\'")}  # quotes around it decide
    return forms | {json.dumps(form, ensure_ascii=False)[1:-1] for form in forms}


def _without_starts_of(secret: str, text: str) -> str:
    """``text`` with every start of ``secret`` (``SHORTEST_SECRET`` characters or more)
    replaced, each as long as it goes on as the secret does."""
    head, kept, at = secret[:SHORTEST_SECRET], [], 0
    while (found := text.find(head, at)) >= 0:
        end = found + SHORTEST_SECRET
        while end < len(text) and end - found < len(secret) and text[end] == secret[end - found]:
            end += 1
        kept += [text[at:found], REDACTED]
        at = end
    return "".join([*kept, text[at:]])


class JSONFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, event, then the context."""

    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "timestamp": _iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            "pid": record.process,
        }
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = record.stack_info
        return self.redact(_json_line(line))


def _json_line(line: dict[str, object]) -> str:
    """The line as compact JSON, by orjson (a few microseconds, against about ten for the
    json module); what orjson refuses (a key not a string, an integer beyond 64 bits, a
    lone surrogate) by the json module. Values of other types are written as ``str``
    writes them."""
    try:
        return orjson.dumps(line, default=str).decode()
    except TypeError:
        return json.dumps(line, default=str, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the time, level, logger and event, then the context."""

    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact or Redactor()

    def formatMessage(self, record: logging.LogRecord) -> str:
        # The event on its line: a new line in what a request brought (a path, a name)
        # would forge a line of its own. A traceback follows on lines of its own.
        shown = copy.copy(record)
        shown.message = _one_line(record.message)
        return super().formatMessage(shown)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _fields(record)
        if fields:
            described = " ".join(f"{key}={_one_line(str(value))}" for key, value in fields.items())
            first, newline, rest = text.partition("\n")  # the context stays on its line
            text = f"{first} [{described}]{newline}{rest}"
        return self.redact(text)


def _one_line(text: str) -> str:
    """``text`` with its control characters written as escapes (``\\n``), on one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _iso(created: float) -> str:
    global _second
    whole = int(created)
    if whole != _second[0]:  # strftime once a second, not once a line
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int(created % 1 * 1000):03d}Z"


_second: tuple[int, str] = (-1, "")
"""The last whole second ``_iso`` wrote, and how."""


def log_settings(
    environ: Mapping[str, str] | None = None, stream: TextIO | None = None
) -> tuple[int, str]:
    """LOG_LEVEL (INFO by default) and LOG_FORMAT (``json``, or ``text`` when unset and
    ``stream`` is a terminal); raises LoggingSetupError naming a value it cannot take."""
    environ = os.environ if environ is None else environ
    stream = sys.stderr if stream is None else stream
    level = environ.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in LEVELS:
        raise LoggingSetupError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {level!r}")
    chosen = environ.get("LOG_FORMAT", "").strip().lower()
    if not chosen:
        chosen = "text" if stream.isatty() else "json"
    if chosen not in FORMATS:
        raise LoggingSetupError(f"LOG_FORMAT must be json or text, not {chosen!r}")
    return logging.getLevelNamesMapping()[level], chosen


def configure_logging(environ: Mapping[str, str] | None = None) -> None:
    """Send every log line to stderr in the chosen format, at the chosen level, warnings
    too, with the environment's secrets redacted (a safety net: the adapters keep their
    own secrets out of what they log). Raises LoggingSetupError for a bad LOG_LEVEL or
    LOG_FORMAT."""
    environ = os.environ if environ is None else environ
    level, chosen = log_settings(environ)
    redact = Redactor(secrets_in(environ))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter(redact) if chosen == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # What no line shows is not gathered (the logging HOWTO's "Optimization"): where each
    # call was made from, the thread, the multiprocessing name. 17.7 -> 13.5 us a line.
    # ``stack_info=True`` then adds no stack; nothing here asks for one.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught


def say_refusal(line: str) -> None:
    """A start refused, in one line on stderr: as it is, or, when the log is JSON, as a log
    line like the others (``CRITICAL``), so that a JSON reader of stderr gets it too."""
    if any(
        isinstance(handler.formatter, JSONFormatter) for handler in logging.getLogger().handlers
    ):
        logging.getLogger("switchboard").critical("%s", line)
    else:
        print(line, file=sys.stderr)


def _log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    """A crash is a log line like the others, so that a JSON reader of stderr gets it."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("switchboard").critical("uncaught", exc_info=(kind, error, traceback))


@dataclass
class Quiet:
    """A line said at most once every ``every`` seconds, with how many times it was kept
    quiet since (``counted`` names what it counts: ``requests``)."""

    every: float
    counted: str = ""
    said_at: float = float("-inf")
    unsaid: int = 0

    def due(self, now: float) -> str | None:
        """What to add to the line when it is to be said now; None to keep quiet."""
        if now - self.said_at < self.every:
            self.unsaid += 1
            return None
        what = f"{self.counted} " if self.counted else ""
        more = f" (and {self.unsaid} more {what}since the last such line)" if self.unsaid else ""
        self.said_at, self.unsaid = now, 0
        return more
