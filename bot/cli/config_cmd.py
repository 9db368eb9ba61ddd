"""``config check [FILE]`` validates a YAML file without starting; ``config schema`` prints
the file's JSON Schema, for editors."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from bot.cli.helptext import Paragraphs, examples
from bot.config.base import ConfigError
from bot.config.document import config_schema
from bot.config.settings import DEFAULT_CONFIG_FILE, read_config
from bot.logs import Redactor, secrets_in


def add_config_command(commands: Any, prog: str) -> None:
    """``config check`` and ``config schema``, under ``commands`` (the top subparsers)."""
    config = commands.add_parser(
        "config",
        help="check the YAML file, or print its schema",
        description="Check the YAML file without starting the bot, or print its JSON Schema.",
        epilog=examples(prog, "config check", "config schema"),
        formatter_class=Paragraphs,
    )
    actions = config.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    check = actions.add_parser(
        "check",
        help="validate a YAML file without starting the bot",
        description="Validate a YAML file as the bot would at its start, without starting "
        "it: FILE: valid and exit status 0, or every problem, one a line, and 2. The "
        "${VAR}s it names are read from the environment, as at the start: "
        "docker/switchboard.yaml needs RECEIVER_SECRET set, say.",
        epilog=examples(prog, "config check", "config check switchboard.yaml"),
        formatter_class=Paragraphs,
    )
    check.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help=f"default: $SWITCHBOARD_CONFIG, else {DEFAULT_CONFIG_FILE}",
    )
    actions.add_parser(
        "schema",
        help="print the YAML file's JSON Schema, for editors",
        description="Print the YAML file's JSON Schema (Draft 2020-12), so that an editor "
        "completes and checks the keys as you type.",
        epilog=examples(prog, "config schema"),
        formatter_class=Paragraphs,
    )


def run_config_command(
    args: argparse.Namespace,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    env = os.environ if env is None else env
    out, err = out or sys.stdout, err or sys.stderr
    if args.config_command == "schema":
        print(json.dumps(config_schema(), indent=2), file=out)
        return 0
    path = args.file or env.get("SWITCHBOARD_CONFIG") or DEFAULT_CONFIG_FILE
    try:
        read_config(path, env, env.get("DEFAULT_REGION") or "GB")
    except ConfigError as error:
        redact = Redactor(secrets_in(env), cut=True)  # a secret variable where a number goes
        for problem in error.problems:
            print(redact(problem), file=err)
        return 2
    print(f"{path}: valid", file=out)
    return 0
