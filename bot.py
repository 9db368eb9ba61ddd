"""Switchboard's entry point: ``python bot.py [serve|admin ...]``."""

import os
import sys

if sys.argv[1:2] in (["admin"], ["config"]):
    # A command's metrics are its own: in the deployment's PROMETHEUS_MULTIPROC_DIR they
    # would be added to the bot's, and leave a file per run there. prometheus_client
    # reads the variable once, when it is first imported, so it goes before any import.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

from bot.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
