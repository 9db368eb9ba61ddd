"""The command's entry point (``python bot.py`` and the installed ``switchboard``): what
must happen before any other import."""

from __future__ import annotations

import os
import sys


def main() -> int:
    """Run the command line with ``sys.argv``."""
    if sys.argv[1:2] in (["admin"], ["config"]):
        # A command's metrics are its own: in the deployment's PROMETHEUS_MULTIPROC_DIR
        # they would be added to the bot's, and leave a file per run there.
        # prometheus_client reads the variable once, when it is first imported, so it
        # goes before any import that brings it.
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from bot.cli.main import main as command_line  # after the variable is gone

    return command_line()
