"""``config check`` (and a reload) took placeholders that could never be filled: a step
asking with ``{email}`` where ``email`` is a later step (the customer read "Hi , mode?"),
``{Name}`` (sent as written: placeholders are lowercase), and any placeholder in
``cancelled``, which was never looked at ("Bye {nmae}" said "Bye "). Each is refused, on
its flow's line, as an unknown one already was."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.config.automation import automation_settings
from bot.config.base import ConfigError


def _flow(**fields: Any) -> dict[str, Any]:
    steps = [
        {"id": "mode", "ask": "Which mode?"},
        {"id": "email", "ask": "Your email?", "input": "email"},
    ]
    return {"flows": {"edge": {"start": ["go edge"], "steps": steps, **fields}}}


@pytest.mark.parametrize(
    ("flow", "said"),
    [
        (
            _flow(steps=[{"id": "mode", "ask": "Hi {email}, mode?"}, {"id": "email", "ask": "E?"}]),
            "{email} is asked for before it is answered",
        ),
        (_flow(steps=[{"id": "mode", "ask": "Mode {mode}?"}]), "{mode} is asked for before"),
        (_flow(intro="Hello {mode}"), "{mode} is asked for before"),
        (_flow(end="Thanks {Name}"), "{Name}: a placeholder is lowercase"),
        (_flow(cancelled="Bye {nmae}"), "cancelled: {nmae} is not a step or a saved field"),
    ],
)
def test_a_placeholder_that_cannot_be_filled_is_refused(flow: dict[str, Any], said: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(said)):
        automation_settings(flow)


def test_placeholders_of_earlier_answers_and_loops_are_taken() -> None:
    looped = [
        {"id": "mode", "ask": "Mode? (last time {email})", "next": "email"},
        {"id": "email", "ask": "Email for {mode}?", "input": "email", "next": "mode"},
    ]
    automation_settings(_flow(end="Done, {mode} at {email}.", cancelled="Bye."))
    automation_settings(_flow(steps=looped))
