"""A short argument where a command names a person (``/merge a``, ``/profile e``,
``/forget x``) was hidden from the audit trail and the log as ``<identity>`` wherever its
letters stood in the outcome, inside words and inside the ``<identity>`` just written:
``refused: us<identity>ge``, ``'<id<identity>ntity>' is not an id<id<identity>ntity>ntity``.
What the argument was is hidden where it stands as typed; the rest of the outcome stays
as it was said."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.test_issues.test_the_audit_kept_an_identity_given_to_a_command_that_takes_none import (
    audited,
)

NOT_AN_IDENTITY = (
    "refused: '<identity>' is not an identity: use type:value with a type of email, ext, "
    "phone, tg, vid, wa, wauser"
)


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        ("/merge a", "refused: usage"),
        ("/profile e", NOT_AN_IDENTITY),
        ("/forget x", NOT_AN_IDENTITY),
        ("/merge x y", NOT_AN_IDENTITY),
    ],
)
async def test_the_outcome_keeps_its_words(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, line: str, outcome: str
) -> None:
    caplog.set_level(logging.INFO)
    entry = await audited(make_bot, line)
    assert entry["outcome"] == outcome, entry
    assert outcome.removeprefix("refused: ") in caplog.text


async def test_a_phone_is_still_hidden(make_bot: BotFactory) -> None:
    entry = await audited(make_bot, "/forget phone:+447700900777")
    assert entry["outcome"] == "refused: no profile with <identity>", entry
