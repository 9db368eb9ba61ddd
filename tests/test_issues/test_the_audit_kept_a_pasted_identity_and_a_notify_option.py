"""A phone or email pasted with an invisible mark (a no-break space from a web page, the
direction marks iOS Contacts adds, a zero-width space) was refused, and the refusal
quoted it with escapes (``'\\u202a+44 7911 123456\\u202c'``): the audit trail and the log
kept the person in full. So did ``/notify … conversations=+44…`` (a phone typed for a
conversation id), whose refusal quotes the option's value."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import BotFactory
from tests.test_team_commands import ADMIN, AGENT, NUMBER, team


@pytest.mark.parametrize(
    "line",
    [
        "/profile +44\u00a07911\u00a0123456",
        "/profile \u202a+44 7911 123456\u202c",
        "/profile \u200e+447911123456",
        "/profile ann.lee@example.org\u200b",
        "/forget \u202a+447911123456\u202c",
        "/merge \u202a+447911123456\u202c email:bob.smith@example.org",
        "/profile phone:+44\u00a07911\u00a0123x456",
        "/claim +44\u00a07911123456",
        f"/notify {NUMBER} conversations=+447911123456 Hello Ann",
        f"/notify {NUMBER} profiles=c_0123456789,+447911999888 Hello",
    ],
)
async def test_a_refused_identity_is_kept_as_identity_however_it_was_typed(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, line: str
) -> None:
    t = await team(make_bot)
    caplog.set_level(logging.INFO)
    caller = AGENT if line.startswith(("/claim", "/notify")) else ADMIN
    answer = await t.run(caller, line)
    assert answer  # the one who typed it is told what was wrong
    trail = await t.desk.audit_trail(1)  # a look-up that found nobody is not audited
    kept = json.dumps(trail, ensure_ascii=True) + json.dumps(trail) + caplog.text
    for person in ("7911", "ann.lee", "bob.smith"):
        assert person not in kept, kept
