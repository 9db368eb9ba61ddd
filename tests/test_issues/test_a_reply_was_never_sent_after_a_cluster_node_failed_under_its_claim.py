"""A reply the API had accepted (201) never reached the customer when a Redis Cluster node
went down as it was sent, and was failed 20 s later as "interrupted: the process stopped
during the API call", though no process stopped and no API call was made.

A send is claimed in the round trip that also reads the number's versions, whose keys lie
on other nodes of a cluster. With one of those nodes down, the claim's node answered (the
send was claimed) while the round trip failed, so the send was never made: each try after
found it claimed, and once the claim was old enough it was failed as interrupted. The
claim of an attempt whose round trip failed is let go, since its API call never started:
the send goes out once the node is back, once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from stores.redis import Keys, StoreError
from tests import rediscluster
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.rediscluster import LocalCluster
from tests.test_sending import QUIET, WA_ID, agent_reply

NODE_TIMEOUT_MS = 30_000
"""Long enough that the other nodes never fail the stopped node's slots in the test."""


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    with rediscluster.running_cluster(node_timeout_ms=NODE_TIMEOUT_MS) as running:
        yield running


@pytest.fixture
def redis_url(cluster: LocalCluster) -> str:
    return cluster.url.replace("redis://", "redis+cluster://", 1)


def _node_of_versions(cluster: LocalCluster, prefix: str) -> int:
    return cluster.port_of(Keys(prefix).services_version())


@pytest.fixture
def prefix(cluster: LocalCluster) -> str:
    """A prefix whose service definitions' version lies on a node of its own: none of the
    conversation's keys, the number's version or its sending rate is there."""
    from bot.model import Identity, conversation_id

    cid = conversation_id(f"wa:{PHONE_NUMBER_ID}", Identity("wa", WA_ID))
    while True:
        candidate = f"test:{uuid.uuid4().hex[:12]}:"
        keys = Keys(candidate)
        elsewhere = [
            keys.attached_version(f"wa:{PHONE_NUMBER_ID}"),
            keys.rate(f"wa:{PHONE_NUMBER_ID}"),
            keys.rate(PHONE_NUMBER_ID),
            f"{candidate}{{c:{cid}}}:sent",
        ]
        versions = _node_of_versions(cluster, candidate)
        if all(cluster.port_of(key) != versions for key in elsewhere):
            return candidate


async def test_a_reply_claimed_as_a_node_failed_goes_out_once_it_is_back(
    make_bot: BotFactory, cluster: LocalCluster, prefix: str
) -> None:
    bot = await make_bot(automation=QUIET)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    assert bot.graph is not None
    outbound = agent_reply(bot, "On its way")
    sender, conversations = bot.runtime.sender, bot.runtime.conversations
    sends = [(outbound.conversation_id, outbound.send_id)]

    versions_node = _node_of_versions(cluster, prefix)
    cluster.kill(versions_node)
    try:
        with pytest.raises(StoreError):
            await sender._perform(outbound)
        assert await conversations.send_states(sends) == [""]  # not started: free to send
    finally:
        cluster.start_again(versions_node)
    await sender._perform(outbound)

    assert await conversations.send_states(sends) == ["sent"]
    assert [s.text for s in bot.graph.sent if s.to == WA_ID] == ["On its way"]
