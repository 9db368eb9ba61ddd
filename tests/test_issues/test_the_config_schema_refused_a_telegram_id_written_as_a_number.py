"""``config schema`` said ``telegram: 123456`` (a team member's id, written bare as the
README writes it) was not a string, so an editor using the schema marked a file that
``config check`` takes as wrong; a blocked value written as a bare number the same. The
schema now takes what the check takes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from bot.config.settings import load_settings
from tests.config_run import environment, run_bot
from tests.test_config import write

DOCUMENT = """\
team: [{email: ann@example.com, role: agent, telegram: 123456}]
profiles: {blocked: [442079460000]}
"""


async def test_the_schema_takes_what_the_check_takes(tmp_path: Path) -> None:
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, DOCUMENT)})
    assert settings.team[0].telegram == "123456"
    code, output = await run_bot(environment(), "config", "schema")
    assert code == 0
    validator = jsonschema.Draft202012Validator(json.loads(output))
    assert [error.message for error in validator.iter_errors(yaml.safe_load(DOCUMENT))] == []
