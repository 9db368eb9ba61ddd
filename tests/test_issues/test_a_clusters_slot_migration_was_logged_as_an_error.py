"""While a Redis Cluster moved slots (``redis-cli --cluster reshard``), a shard's blocked
read was cut off with ``UNBLOCKED the stream key no longer exists``, and after a node came
back empty a hand-back met ``NOGROUP``: each was logged as an error with its traceback,
and counted against the batch's attempts, as if the work were at fault. Both are the
store's doing, said in one line, and the work is redone as it is."""

from __future__ import annotations

import pytest
from redis.exceptions import ResponseError

from stores.redis import is_store_fault


@pytest.mark.parametrize(
    "said",
    [
        "UNBLOCKED the stream key no longer exists",
        "NOGROUP No such key 'sb:{in:6}' or consumer group 'workers' in XREADGROUP",
        "Command # 2 (XACK sb:{in:6} workers 1-0) of pipeline caused error: NOGROUP No such key",
    ],
)
def test_a_moved_key_or_a_lost_group_is_the_stores_fault(said: str) -> None:
    assert is_store_fault(ResponseError(said))


def test_a_refusal_of_what_a_command_carried_is_not() -> None:
    assert not is_store_fault(ResponseError("WRONGTYPE Operation against a key"))
    assert not is_store_fault(ResponseError("ERR value is not a valid float"))
