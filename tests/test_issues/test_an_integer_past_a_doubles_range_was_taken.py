"""A JSON body holding an integer past a double's range (10**400 written out) was taken
(202 for a workflow event, its data kept and sent on), though no JSON reader of a service
can hold it and ``1e400`` is refused: docs/api.md's 400 is for "a number that overflows".
One of 5,000 digits got the bare "body is not JSON". Both are refused and said so."""

from __future__ import annotations

import pytest

from adapters.jsonbody import NotJSONError, loads
from tests.conftest import BotFactory
from tests.test_api import call, shared_number

HUGE = "1" + "0" * 400


@pytest.mark.parametrize("number", [HUGE, "-" + HUGE, "9" * 5000])
def test_an_integer_that_overflows_a_double_is_refused(number: str) -> None:
    with pytest.raises(NotJSONError, match="overflows"):
        loads(f'{{"k": {number}}}'.encode())


def test_big_integers_within_a_doubles_range_are_taken() -> None:
    assert loads(b'{"k": 18446744073709551616}') == {"k": 2**64}
    assert loads(("[" + "9" * 300 + "]").encode()) == [int("9" * 300)]


async def test_a_workflow_event_with_such_a_number_is_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    raw = f'{{"type": "ticket.created", "data": {{"k": {HUGE}}}}}'.encode()
    headers = {"Content-Type": "application/json"}
    token = shared.tokens["support"]
    answer = await call(shared.bot, token, "POST", "/v1/events", data=raw, headers=headers)
    assert answer.status == 400 and b"overflows" in answer.raw, answer.raw
