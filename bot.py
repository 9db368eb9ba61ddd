"""Switchboard's entry point: ``python bot.py [serve|admin ...]``."""

import sys

from bot.cli.entry import main

if __name__ == "__main__":
    sys.exit(main())
