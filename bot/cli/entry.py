"""The command's entry point (``python bot.py`` and the installed ``switchboard``): what
must happen before any other import."""

from __future__ import annotations

import os
import signal
import sys


def main() -> int:
    """Run the command line with ``sys.argv``."""
    if sys.argv[1:2] in (["admin"], ["config"]):
        # A command's metrics are its own: in the deployment's PROMETHEUS_MULTIPROC_DIR
        # they would be added to the bot's, and leave a file per run there.
        # prometheus_client reads the variable once, when it is first imported, so it
        # goes before any import that brings it.
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    else:
        # SIGHUP, the operator's reload, would end the bot while it starts (its default
        # action) until serve takes it: it is held till then (bot/cli/serve.py), and so in
        # each worker, which starts with this mask.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    try:
        from bot.cli.main import main as command_line  # after the variable is gone
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    return command_line()


INTERRUPTED = "\nswitchboard: interrupted while it was starting: nothing was done"
"""Said for Ctrl-C before the command began, while its modules were read."""
