"""``python bot.py`` with some of the product's module constants set lower, for the tests
whose process would otherwise wait out a shipped bound (how old an interrupted send's
claim must be, a lease): ``python tests/lowered_bot.py ARGS`` with
``SWITCHBOARD_TEST_CONSTANTS`` a JSON object of ``{"module.NAME": value}``, as
``BotProcess(constants=...)`` runs it. A name that does not exist stops the process, so
a renamed constant fails the test instead of leaving it waiting the shipped bound."""

import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project, not tests/, as for ``python bot.py``
sys.argv[0] = str(ROOT / "bot.py")

from bot.cli.entry import main  # noqa: E402

for dotted, value in json.loads(os.environ.pop("SWITCHBOARD_TEST_CONSTANTS")).items():
    module_name, name = dotted.rsplit(".", 1)
    module = importlib.import_module(module_name)
    if not hasattr(module, name):
        raise SystemExit(f"tests/lowered_bot.py: {dotted} does not exist")
    setattr(module, name, value)

sys.exit(main())
