"""What every team command is built from: the command record, the roles' ranks, argument
splitting, and the confirmation codes of commands that ask first."""

from __future__ import annotations

import hashlib
import io
import math
import re
import shlex
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from bot.identities import IDENTITY_KINDS, visible
from bot.model import has_control_characters
from handlers.ports import Caller, DeskPort, RefusedError

ROLE_RANK = {"viewer": 0, "agent": 1, "admin": 2}
NO_ROLE = "none"
"""What /role gives a member to take them off the team: their commands are refused."""
CONFIRM_WINDOW = 600
"""Seconds a confirmation code stays good, at most."""
CONFIRM_STEP = 10
"""Codes are made for the clock's steps of this many seconds: one shown at 12:00:05 is
good until 12:09:59, not a moment after 12:10:05."""
OPERATOR = Caller("operator", "admin")
"""The CLI: whoever can run ``python bot.py admin`` holds the keys anyway."""


class UsageError(Exception):
    """Bad arguments: the answer is the command's usage line."""


@dataclass(frozen=True, slots=True)
class Argument:
    """One argument of a command, as the command line declares it."""

    name: str
    help: str
    count: str = ""
    """How many words: "" exactly one, "?" one or none, "+" one or more, "*" any."""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Spec:
    """What a command is, apart from how it runs: the team chat's usage line and summary,
    and the arguments and example the command line shows in its help."""

    name: str
    usage: str
    summary: str
    role: str
    raw_after: int = -1
    """With N >= 0, the first N words are split like a shell's and the rest of the line is
    one last argument, exactly as typed (the text of /reply and /note); the audit log
    keeps only its length."""
    arguments: tuple[Argument, ...] = ()
    example: str = ""
    """The arguments of a typical use, e.g. ``c_3f2a9b "On its way"``."""
    personal: tuple[int, ...] = ()
    """The places of the arguments that may name a person by an identity (a phone, an
    email): the audit trail keeps a profile or conversation id there as given, and anything
    else as ``<identity>``, so that it holds nothing an erasure would have to find (PS-7)."""
    members: tuple[int, ...] = ()
    """The places of the arguments that name a team member (an email): kept as given."""

    def _hidden(self, n: int, arg: str, numbers: Collection[str]) -> bool:
        """Whether the audit keeps argument ``n`` as ``<identity>``: where a person may be
        named, anything but a profile or conversation id; elsewhere, a person typed where
        something else was asked for (a phone, an email, an identity that is none of the
        deployment's numbers), but a team member where the command names one."""
        if n in self.personal:
            return not arg.startswith(("p_", "c_"))
        return n not in self.members and names_a_person(arg, numbers)

    def audited(self, args: list[str], numbers: Collection[str] = ()) -> list[str]:
        """``args`` as the audit trail keeps them: a text typed as it is, by its length.
        ``numbers``: the deployment's, kept as they are."""
        if 0 <= self.raw_after < len(args):
            args = [*args[: self.raw_after], f"<{len(args[-1])} characters>"]
        kept: list[str] = []
        spaced = _spaced_phones(args)
        for n, arg in enumerate(args):
            if n in spaced:  # a phone typed with spaces, where its pieces are words
                if n - 1 not in spaced:
                    kept.append(IDENTITY)
            elif self._hidden(n, arg, numbers):
                kept.append(IDENTITY)
            elif kept[-1:] == [IDENTITY] and _PHONE_PART.fullmatch(arg):
                continue  # the rest of a phone typed with spaces: +44 7700 900777
            else:
                kept.append(_PERSON_TOKEN.sub(IDENTITY, arg))
        return kept

    def audited_outcome(self, args: list[str], outcome: str, numbers: Collection[str] = ()) -> str:
        """What the audit trail keeps of a command's outcome: every identity in it that
        ``audited`` hides (as given, or as ``kind:value``) is ``<identity>``."""
        for n, arg in enumerate(args[: self.raw_after if self.raw_after >= 0 else None]):
            if arg and self._hidden(n, arg, numbers):
                outcome = hidden_in(outcome, arg)
                kind, colon, value = arg.partition(":")
                if colon and kind in IDENTITY_KINDS and value.strip():
                    outcome = hidden_in(outcome, value)  # a refusal quotes the value alone
        if not self.personal:
            return _PERSON_TOKEN.sub(IDENTITY, outcome)
        return without_identities(outcome)


def _spaced_phones(args: list[str]) -> set[int]:
    """The places of the words that together are a phone typed with spaces (``+44 7911
    123456``): none of them a phone by itself."""
    found: set[int] = set()
    start = 0
    while start < len(args):
        end = start
        while end < len(args) and _PHONE_PART.fullmatch(visible(args[end]).strip() or "-"):
            end += 1
        run = " ".join(visible(arg).strip() for arg in args[start:end])
        if end - start > 1 and _BARE_PHONE.fullmatch(run) and sum(map(str.isdigit, run)) >= 7:
            found.update(range(start, end))
        start = max(end, start + 1)
    return found


def hidden_in(outcome: str, value: str) -> str:
    """``outcome`` with ``value`` in it as ``<identity>``: as typed, trimmed, and as a
    refusal quotes it (``repr``, which writes an invisible mark or a no-break space as an
    escape), whole or cut short."""
    forms = {
        shown
        for form in (value, value.strip(), visible(value).strip())
        for cut in (form, form[:80], form[:60], form[:40])
        for shown in (repr(cut)[1:-1], cut)
        if shown
    }
    if not forms:
        return outcome
    # In one pass, and not within a word: "a" given hides 'a', not the a of "usage", nor
    # a letter of the <identity> just written.
    found = "|".join(_as_typed(form) for form in sorted(forms, key=len, reverse=True))
    return re.sub(found, IDENTITY, outcome)


def _as_typed(text: str) -> str:
    """A pattern of ``text`` where it stands by itself: not the middle of a longer word."""
    before = r"(?<!\w)" if re.match(r"\w", text) else ""
    after = r"(?!\w)" if re.match(r"\w", text[-1]) else ""
    return before + re.escape(text) + after


_PHONE_PART = re.compile(r"[\d+().\-/]+")
_BARE_PHONE = re.compile(r"\+?[\d().\-/ ]{7,40}")
_BARE_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


def names_a_person(arg: str, numbers: Collection[str] = ()) -> bool:
    """Whether a command's argument names a person: an identity (``kind:value``) that is
    none of ``numbers`` (the deployment's: ``wa:`` names a business number too), a phone
    (seven digits or more) or an email."""
    arg = visible(arg).strip()
    if arg in numbers:
        return False
    kind, colon, value = arg.partition(":")
    if colon and kind.lower() in IDENTITY_KINDS and value.strip():
        return True
    if _BARE_PHONE.fullmatch(arg):
        return sum(c.isdigit() for c in arg) >= 7 and not _DAY.fullmatch(arg)
    return bool(_BARE_EMAIL.fullmatch(arg))


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
"""A day as the commands take it (``/profile ... notes 2026-11-21``): no phone."""
IDENTITY = "<identity>"
"""What the audit trail keeps of an identity given to a command."""
_IDENTITY_TOKEN = re.compile(rf"\b(?:{'|'.join(sorted(IDENTITY_KINDS))}):[^\s,;'\")]+")
_PERSON_TOKEN = re.compile(r"\b(?:phone|wauser|email|vid|ext):[^\s,;'\")]+")
"""An identity that names a person whatever the command (``wa:`` and ``tg:`` may be a
business number's), typed where no identity was asked for: the audit keeps it as
``<identity>`` too."""


@dataclass(frozen=True, slots=True)
class Command:
    """One slash command: its spec, and what runs it."""

    spec: Spec
    run: Callable[[Caller, list[str]], Awaitable[str]]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def usage(self) -> str:
        return self.spec.usage

    @property
    def summary(self) -> str:
        return self.spec.summary

    @property
    def role(self) -> str:
        return self.spec.role

    @property
    def raw_after(self) -> int:
        return self.spec.raw_after


NO_CONTROLS = "may not hold control characters (newlines, carriage returns and tabs may)"
"""The refusal of a text holding any other, after the name of its field."""


def escaped(text: str, allowed: str = "\n\t") -> str:
    """``text`` with each control character but ``allowed`` written as its escape
    (``\\x07``, ``\\x1b``): shown, not acted on by a terminal or a log viewer."""
    if not has_control_characters(text, allowed):
        return text
    # Every control character (Unicode's Cc) is below U+00A0: two hex digits say it.
    return "".join(f"\\x{ord(c):02x}" if has_control_characters(c, allowed) else c for c in text)


def flat(text: str) -> str:
    """Text someone else wrote, on one line: its whitespace (a newline, a tab) collapsed to
    single spaces. Its control characters stay, for the terminal to escape (``admin``
    prints them as ``\\x1b``)."""
    return " ".join(text.split())


def one_line(text: str) -> str:
    """Text someone else wrote, safe to show on one line of a chat or a terminal: its
    whitespace collapsed, and control characters (an escape sequence) replaced."""
    return "".join("\ufffd" if has_control_characters(c) else c for c in flat(text))


def without_identities(text: str) -> str:
    """``text`` with every identity in it (``kind:value``) as ``<identity>``."""
    return _IDENTITY_TOKEN.sub(IDENTITY, text)


def counted(count: int, one: str, many: str = "") -> str:
    """``count`` with its noun, one or many: "1 conversation", "2,000 conversations"."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def shown_identity(key: str) -> str:
    """An identity (``kind:value``) as the team sees it: a web visitor's id is the
    browser's cookie, which opens the visitor's chat and writes as them, so only its
    first characters show."""
    kind, _, value = key.partition(":")
    if kind == "vid" and len(value) > 4:
        return f"vid:{value[:4]}…"
    return key


_PHONE_START = re.compile(r"\+\d{1,4}|\(?0\d{1,5}\)?(-\d{1,6})*")
_PHONE_GROUP = re.compile(r"\(?\d{1,6}\)?(-\d{1,6})*")


def phone_joined(args: list[str]) -> list[str]:
    """``args`` with a phone typed as it is read (``+44 7700 900123``, ``+1 (415) 555-0100``,
    or in its national form, ``07700 900123``) made one word, as if quoted: a first word
    of ``+`` and digits, or of a 0 and digits, and the groups of digits after it (each of
    at most 6, with a dash or brackets)."""
    if not args or not _PHONE_START.fullmatch(args[0]):
        return args
    end = 1
    while end < len(args) and _PHONE_GROUP.fullmatch(args[end]):
        end += 1
    if end == 1:
        return args
    return [" ".join(args[:end]), *args[end:]]


def split_arguments(rest: str, raw_after: int = -1) -> list[str]:
    """The words of ``rest`` split like a shell's; with ``raw_after`` N >= 0, only the
    first N, and then the rest of the text as typed (trimmed) as one last word, if any.
    Raises ValueError for unbalanced quotes. Curly quotes (U+201C to U+201E, and a pair
    of U+2018 and U+2019), which phones and Macs type, group words as straight ones do."""
    plain = _straight_quotes(rest)  # a character for a character: the offsets hold
    if raw_after < 0:
        return shlex.split(plain)
    stream = io.StringIO(plain)
    lexer = shlex.shlex(stream, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words: list[str] = []
    while len(words) < raw_after:
        word = lexer.get_token()
        if word is None or word == lexer.eof:
            return words
        words.append(word)
    # The lexer reads one character at a time, so the stream stands right after the
    # whitespace that ended the last word: the rest is the text exactly as typed.
    text = rest[stream.tell() :].strip()
    return [*words, text] if text else words


_DOUBLE_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e", '"'))
_SINGLE_QUOTED = re.compile("\u2018([^\u2018\u2019]*)\u2019")
"""A pair of curly single quotes; a lone U+2019 is an apostrophe, and stays."""


def _straight_quotes(text: str) -> str:
    return _SINGLE_QUOTED.sub(r"'\1'", text.translate(_DOUBLE_QUOTES))


def confirmation_code(caller: Caller, subject: str, at: float) -> str:
    """A short code that shows the confirmation follows the question, for one caller.

    ``subject`` names what the question showed (the numbers a service leaves, the
    identities a profile holds), so a code does not confirm what changed since. Not a
    secret: it guards against a one-shot erasure by mistake, and the role check guards
    against everyone else."""
    step = int(at // CONFIRM_STEP)
    digest = hashlib.blake2b(f"{caller.name}|{subject}|{step}".encode(), digest_size=4)
    return f"{int.from_bytes(digest.digest(), 'big') % 1_000_000:06d}"


def confirmed(caller: Caller, subject: str, code: str) -> bool:
    """Whether ``code`` is one shown to ``caller`` for ``subject`` in the last
    ``CONFIRM_WINDOW`` seconds (to ``CONFIRM_STEP``)."""
    now = time.time()
    first = math.ceil((now - CONFIRM_WINDOW) / CONFIRM_STEP)
    steps = range(first, int(now // CONFIRM_STEP) + 1)
    return code in {confirmation_code(caller, subject, step * CONFIRM_STEP) for step in steps}


def confirmation_key(caller: Caller, subject: str, code: str) -> str:
    """What names one confirmation once it is used: a code works once."""
    return hashlib.blake2b(f"{caller.name}|{subject}|{code}".encode(), digest_size=16).hexdigest()


NOT_CONFIRMED = (
    "That confirmation code is wrong or expired, was used, or what it confirms changed "
    "since; send {command} again for a new one."
)


USED_CODE = (
    "That confirmation code was used already; send {command} again in {seconds} seconds "
    "for a new one."
)


class Question(str):
    """A command's answer that asks for a confirmation before anything is done (``/forget``,
    ``/detach``): audited as asked, not as done."""

    __slots__ = ()


async def confirm_once(
    desk: DeskPort | None, caller: Caller, subject: str, code: str, command: str
) -> None:
    """RefusedError unless ``code`` confirms ``subject`` for ``caller`` now, for the first
    time (with the team's desk, which keeps the codes used; without one, only the code is
    checked). Asked again within the clock's step, the question shows the code used: the
    refusal says when a new one comes."""
    if not confirmed(caller, subject, code):
        raise RefusedError(NOT_CONFIRMED.format(command=command))
    if desk is None or await desk.first_use(
        confirmation_key(caller, subject, code), CONFIRM_WINDOW
    ):
        return
    seconds = CONFIRM_STEP - int(time.time() % CONFIRM_STEP)
    if confirmation_code(caller, subject, time.time()) != code:
        raise RefusedError(NOT_CONFIRMED.format(command=command))
    raise RefusedError(USED_CODE.format(command=command, seconds=seconds))
