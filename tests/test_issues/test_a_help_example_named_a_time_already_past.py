"""``python bot.py admin notify --help`` showed ``--at 2026-12-01T09:00``, which by then
was past: run as printed, the example was refused ("is in the past … nothing is
scheduled"). The examples' times are to come whenever they are read now."""

from __future__ import annotations

import re
from datetime import datetime

from bot.cli.main import build_parser
from tests.test_cli_help import parsers


def test_every_time_in_a_help_is_to_come() -> None:
    now = datetime.now()
    for parser in parsers(build_parser()):
        for found in re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d", parser.format_help()):
            assert datetime.fromisoformat(found) > now, (parser.prog, found)
