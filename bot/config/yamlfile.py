"""The YAML file as data, with the line of every key and item, so that a refusal can say
where to look; ``${VAR}`` in a value is filled from the environment."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from typing import Any

import yaml

from bot.config.base import ConfigError, Lines, dotted

_ENV_REFERENCE = re.compile(r"\$\$\{|\$\{([^{}]*)\}?")
"""``${NAME}``, ``${NAME:-default}``, a ``${`` left open, or ``$${``, a ``${`` as written."""
_VARIABLE = re.compile(r"([A-Za-z0-9_]+)(:-(.*))?", re.DOTALL)
MAX_FILE_BYTES = 1024 * 1024
"""A config file is a few kilobytes; one larger than this is not one (``/dev/zero`` never
ends)."""
MAX_NODES = 100_000
"""Values in the document with its aliases expanded: a config file has a few hundred; a
"billion laughs" (anchors, each naming the one before nine times) has 9**9."""
MAX_DEPTH = 100
"""Lists and mappings inside each other: a config file needs a handful."""
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LONE = "a lone surrogate no UTF-8 text can hold"
"""Half of a UTF-16 pair, as ``"\\ud800"`` writes it: no channel could send it."""
_TOO_DEEP = f"lists and mappings nested too deeply (past {MAX_DEPTH} levels)"
_MERGE = "tag:yaml.org,2002:merge"
_NOT_FILES = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket"}


class LineLoader(yaml.SafeLoader):
    """A safe loader that notes, for each mapping key and list item, the line it is on, and
    refuses a key written twice in one mapping (PyYAML keeps the last, silently)."""

    def __init__(self, stream: str, name: str) -> None:
        super().__init__(stream)
        self.name = name
        self.lines: dict[tuple[str, ...], tuple[str, int]] = {}

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        # Before the constructor, where a merge (``<<: *base``) has not yet put the keys
        # of ``base`` among the mapping's own, which may override them.
        node = super().compose_mapping_node(anchor)
        first: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
                continue
            if (key.tag, key.value) in first:
                raise yaml.composer.ComposerError(
                    problem=f"the key {key.value!r} is written twice "
                    f"(first on line {first[key.tag, key.value]})",
                    problem_mark=key.start_mark,
                )
            first[key.tag, key.value] = key.start_mark.line + 1
        return node

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date or time as YAML reads it, unquoted; one the calendar does not have
        (``2026-02-30``) is the file's mistake, on its line, not a ValueError."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                problem=f"{node.value} is no day or time of the calendar",
                problem_mark=node.start_mark,
            ) from None

    def note(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        """Record the lines of ``node``'s keys and items, under ``path``."""
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                below = (*path, str(key.value))
                self.lines[below] = (self.name, key.start_mark.line + 1)
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                    # As the checks name it: ``null:`` is the key None, ``yes:`` True.
                    read = (*path, str(self.construct_object(key)))
                    self.lines.setdefault(read, self.lines[below])
                self.note(value, below)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                below = (*path, str(index))
                self.lines[below] = (self.name, item.start_mark.line + 1)
                self.note(item, below)


def lines_of(path: str, under: tuple[str, ...]) -> dict[tuple[str, ...], tuple[str, int]]:
    """The lines of the file at ``path`` (a flow file the config names), its keys noted
    under ``under``, the key itself at the file's first line; none when it cannot be
    read (reading it for the checks says why)."""
    try:
        loader, node, _ = _load(_read_text(path), path)
    except ConfigError:
        return {}
    if node is None:
        return {}
    loader.note(node, under)
    return {under: (path, 1), **loader.lines}


def read_flow_yaml(path: str) -> Any:
    """The document of the file at ``path`` (a flow file the config names), read as the
    config file is; None when it holds none. ConfigError naming ``path`` (and the line) if
    it cannot be read, is no regular file or larger than MAX_FILE_BYTES, is not YAML,
    writes a key twice, or its aliases or nesting go too far."""
    _, node, document = _load(_read_text(path, "the flow file"), path)
    return document if node is not None else None


def read_yaml(path: str, env: Mapping[str, str]) -> tuple[dict[str, Any], Lines, list[str]]:
    """The file's mapping with ``${VAR}`` filled in, its lines, and a problem for each
    value it cannot use as written (an unset variable, filled with ''; a lone surrogate);
    ConfigError if it is unreadable, not YAML or not a mapping."""
    name = path
    loader, node, document = _load(_read_text(path), name)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{name}:1: the file must hold a mapping (automation:, services:, ...)")
    if node is not None:
        loader.note(node, ())
    unusable: list[str] = []

    def at(path: tuple[str | int, ...]) -> str:
        return f"{name}:{loader.lines.get(tuple(map(str, path)), (name, 1))[1]}:"

    def fill(value: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(value, str):

            def filled_in(match: re.Match[str]) -> str:
                if match.group(0) == "$${":
                    return "${"
                reference = _VARIABLE.fullmatch(match.group(1))
                if reference is None or not match.group(0).endswith("}"):
                    unusable.append(
                        f"{at(path)} {dotted(path)}: {match.group(0)[:60]!r} is no variable: "
                        "write ${NAME} or ${NAME:-default}, NAME of letters, digits and _ "
                        "(and $${ for a ${ as it is)"
                    )
                    return ""
                name, default = reference.group(1), reference.group(3)
                if default is not None:
                    return env.get(name) or default
                if name not in env:
                    unusable.append(f"{at(path)} {dotted(path)}: ${{{name}}} is not set")
                return env.get(name, "")

            text, lone = _unicode(_ENV_REFERENCE.sub(filled_in, value))
            if lone:
                unusable.append(f"{at(path)} {dotted(path)}: holds {lone!r}, {_LONE}")
            return text
        if isinstance(value, list):
            return [fill(item, (*path, n)) for n, item in enumerate(value)]
        if isinstance(value, dict):
            filled = {}
            for key, item in value.items():
                below = (*path, str(key))
                if isinstance(key, str):
                    key, lone = _unicode(key)
                    if lone:
                        where = dotted(path) or "the file"
                        unusable.append(f"{at(below)} {where}: a key holds {lone!r}, {_LONE}")
                filled[key] = fill(item, below)
            return filled
        return value

    filled: dict[str, Any] = fill(document, ())
    return filled, loader.lines, unusable


def holds_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a surrogate not in a pair: a key ``read_yaml`` already said
    it cannot use (a problem naming its path holds it)."""
    return _SURROGATE.search(text) is not None


def _unicode(text: str) -> tuple[str, str | None]:
    """``text`` with each pair of escaped surrogates (``"\\ud83d\\ude00"``, as JSON writes
    an emoji) as the character it stands for, and its first lone surrogate, if any."""
    if text.isascii():
        return text, None
    joined = _SURROGATE_PAIR.sub(
        lambda pair: pair.group().encode("utf-16-le", "surrogatepass").decode("utf-16-le"), text
    )
    lone = _SURROGATE.search(joined)
    return joined, lone.group() if lone else None


def _read_text(path: str, what: str = "the config file") -> str:
    """The file's text; ConfigError if it cannot be read, is no regular file (the null
    device reads as an empty one), is larger than MAX_FILE_BYTES or is not UTF-8."""
    try:
        found = os.stat(path)
        if os.path.samestat(found, os.stat(os.devnull)):
            return ""
        if not stat.S_ISREG(found.st_mode):
            # Opening a named pipe waits for a writer, and a device may never end.
            kind = _NOT_FILES.get(stat.S_IFMT(found.st_mode), "a device")
            raise ConfigError(f"{path}: cannot read {what}: it is {kind}, not a regular file")
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ConfigError(
                f"{path}: cannot read {what}: it is larger than {MAX_FILE_BYTES >> 20} MiB"
            )
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(f"{path}: cannot read {what}: {reason}") from None


LineLoader.add_constructor("tag:yaml.org,2002:timestamp", LineLoader.construct_yaml_timestamp)


def _load(text: str, name: str) -> tuple[LineLoader, yaml.Node | None, Any]:
    """The loader (for the lines), the document's node and its data; ConfigError if the
    text is not YAML, or its aliases or nesting go too far (see ``_bound``)."""
    try:
        loader = LineLoader(text, name)
    except yaml.reader.ReaderError as error:  # a character YAML does not take, such as NUL
        at = text.count("\n", 0, error.position) + 1
        raise ConfigError(
            f"{name}:{at}: not valid YAML: unacceptable character "
            f"#x{error.character:04x}: {error.reason}"
        ) from None
    try:
        node = loader.get_single_node()
        if node is not None:
            _bound(node, name)
        document = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"{mark.line + 1}:" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{name}:{line} not valid YAML: {problem}") from None
    except RecursionError:  # the composer nests a Python call in each list and mapping
        line = f"{loader.get_mark().line + 1}:"
        raise ConfigError(f"{name}:{line} {_TOO_DEEP}") from None
    finally:
        loader.dispose()
    return loader, node, document


def _bound(node: yaml.Node, name: str) -> None:
    """ConfigError when the document, its aliases expanded (an alias counts again all it
    names, as a merge ``<<`` copies it), holds more than MAX_NODES values or nests more
    than MAX_DEPTH lists and mappings, or when an alias names a value that holds it: a few
    lines of anchors can expand to billions, or for ever, which the checks would walk."""
    top = node.value if isinstance(node, yaml.MappingNode) else [(node, node)]
    visited = 0
    for key, value in top:
        what = key.value if isinstance(key, yaml.ScalarNode) and key is not node else "the file"
        below: list[tuple[yaml.Node, int]] = [(value, 1)]
        holders: list[yaml.Node] = []  # the lists and mappings that hold the current value
        while below:
            current, depth = below.pop()
            del holders[depth - 1 :]
            visited += 1
            if visited > MAX_NODES:
                raise ConfigError(
                    f"{name}:{key.start_mark.line + 1}: {what}: its aliases expand too far "
                    f"(past {MAX_NODES:,} values)"
                )
            if not isinstance(current, yaml.CollectionNode):
                continue
            if any(current is holder for holder in holders):
                raise ConfigError(
                    f"{name}:{current.start_mark.line + 1}: {what}: an alias names a value "
                    "that holds it: it never ends"
                )
            if depth > MAX_DEPTH:
                raise ConfigError(f"{name}:{key.start_mark.line + 1}: {what}: {_TOO_DEEP}")
            holders.append(current)
            if isinstance(current, yaml.SequenceNode):
                below.extend((item, depth + 1) for item in current.value)
            else:
                below.extend((part, depth + 1) for pair in current.value for part in pair)
