"""How the command line's help is laid out: paragraphs wrapped to the terminal, while
lists and examples keep their lines."""

from __future__ import annotations

import argparse
import textwrap

from handlers.command_kit import Spec

NARGS = {"": None, "?": "?", "+": "+", "*": "*"}
"""argparse's ``nargs`` of each of a spec's argument counts."""


class Paragraphs(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs: a paragraph of prose is wrapped; one whose lines are
    indented (a list, an example) is kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        kept = []
        for paragraph in text.split("\n\n"):
            lines = paragraph.splitlines()
            if any(line.startswith(" ") for line in lines[1:]) or paragraph.startswith(" "):
                kept.append("\n".join(indent + line for line in lines))
            else:
                kept.append(
                    textwrap.fill(
                        " ".join(lines), width, initial_indent=indent, subsequent_indent=indent
                    )
                )
        return "\n\n".join(kept)


def examples(prog: str, *commands: str) -> str:
    """An epilog of examples, each a full command line."""
    head = "Example:" if len(commands) == 1 else "Examples:"
    return "\n".join([head, *(f"  {prog} {command}".rstrip() for command in commands)])


def add_spec_arguments(command: argparse.ArgumentParser, spec: Spec) -> None:
    """The arguments a command's spec declares, as the command line takes them."""
    for argument in spec.arguments:
        command.add_argument(
            argument.name,
            metavar=argument.name.upper(),
            nargs=NARGS[argument.count],
            choices=argument.choices or None,
            help=argument.help,
        )
