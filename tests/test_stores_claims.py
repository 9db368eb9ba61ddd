"""Store contracts, part four: the work on a conversation: claims, the team's notes, and
guided conversations' states.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike (see ``test_stores.py``).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from stores.claims import Claim, ClaimStore
from stores.conversations import ConversationStore
from stores.flows import FlowStateStore
from stores.notes import MAX_NOTE, NoteStore
from stores.redis import Keys

CID = "c_0123456789abcdef0123"
OTHER = "c_fedcba9876543210fedc"

# --- ClaimStore -------------------------------------------------------------------------


async def test_a_first_claim_replaces_nobody(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    assert await claims.holder(CID) is None
    before, held, _ = await claims.claim(CID, "support", "ann", idle=60)
    assert before is None
    assert (held.service, held.agent) == ("support", "ann")
    assert abs(held.since - time.time()) < 5
    assert await claims.holder(CID) == held


async def test_claiming_again_keeps_when_the_claim_began(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    _, first, _ = await claims.claim(CID, "support", "ann", idle=60)
    before, again, _ = await claims.claim(CID, "support", "ann", idle=60)
    assert before is None and again == first


async def test_a_claim_taken_over_names_the_holder_it_replaced(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    _, ann, _ = await claims.claim(CID, "support", "ann", idle=60)
    before, bob, _ = await claims.claim(CID, "sales", "bob", idle=60)
    assert before == ann
    assert (bob.service, bob.agent) == ("sales", "bob")
    assert await claims.holders([CID, OTHER]) == [bob, None]
    assert await claims.holders([]) == []


async def test_a_claim_redone_before_it_was_announced_names_whom_it_replaced(
    store: Redis, prefix: str
) -> None:
    claims = ClaimStore(store, Keys(prefix))
    _, ann, _ = await claims.claim(CID, "support", "ann", idle=60)
    await claims.announced(CID, ann)
    first = await claims.claim(CID, "sales", "bob", idle=60)
    assert await claims.claim(CID, "sales", "bob", idle=60) == first == (ann, first[1], True)
    await claims.announced(CID, ann)  # not the holder's claim: nothing changes
    assert await claims.claim(CID, "sales", "bob", idle=60) == first
    await claims.announced(CID, first[1])
    assert await claims.claim(CID, "sales", "bob", idle=60) == (None, first[1], False)
    assert await claims.holder(CID) == first[1]


async def test_only_the_holder_releases_a_claim(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    assert await claims.release(CID, "support", "ann") == (False, None)
    _, ann, _ = await claims.claim(CID, "support", "ann", idle=60)
    assert await claims.release(CID, "support", "bob") == (False, ann)
    assert await claims.release(CID, "sales", "ann") == (False, ann)
    assert await claims.release(CID, "support", "ann") == (True, None)
    assert await claims.holder(CID) is None


async def test_an_idle_claim_lapses_and_is_reported_once(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    await claims.claim(CID, "support", "ann", idle=0.05)
    await claims.claim(OTHER, "support", "bob", idle=60)
    await asyncio.sleep(0.15)
    assert await claims.holder(CID) is None
    assert await claims.lapsed(time.time()) == [CID]
    assert await claims.lapsed(time.time()) == []
    assert await claims.holder(OTHER) is not None


async def test_the_next_lapse_is_the_first_claim_to_report(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    assert await claims.next_lapse() is None
    before = time.time()
    await claims.claim(OTHER, "support", "bob", idle=120)
    await claims.claim(CID, "support", "ann", idle=60)
    first = await claims.next_lapse()
    assert first is not None and before + 60 <= first < time.time() + 60.5


async def test_a_touched_claim_does_not_lapse(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    # Touched well within its first idle time (a loaded machine may take a while to get
    # there), and looked at past it.
    await claims.claim(CID, "support", "ann", idle=1.0)
    await asyncio.sleep(0.1)
    await claims.touch(CID, idle=60)
    await asyncio.sleep(1.0)
    assert await claims.holder(CID) is not None
    assert await claims.lapsed(time.time()) == []
    await claims.touch(OTHER, idle=60)  # nobody holds it: touching claims nothing
    assert await claims.holder(OTHER) is None


async def test_a_claim_still_held_is_not_reported_early(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    await claims.claim(CID, "support", "ann", idle=60)
    # Asked about a moment past its lapse while it is still held (a clock ahead), the
    # store reports nothing and watches it on.
    assert await claims.lapsed(time.time() + 120) == []
    assert await claims.holder(CID) is not None
    await claims.release(CID, "support", "ann")
    assert await claims.lapsed(time.time() + 120) == []


async def test_a_released_claim_never_lapses(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    # Released well within its idle time (a release that came after the lapse would
    # rightly find it lapsed), and looked at past it.
    await claims.claim(CID, "support", "ann", idle=0.5)
    assert (await claims.release(CID, "support", "ann"))[0]
    await asyncio.sleep(0.6)
    assert await claims.lapsed(time.time()) == []


async def test_lapsed_respects_its_limit(store: Redis, prefix: str) -> None:
    claims = ClaimStore(store, Keys(prefix))
    for n in range(5):
        await claims.claim(f"c_{n}", "support", "ann", idle=0.01)
    await asyncio.sleep(0.1)
    first = await claims.lapsed(time.time(), limit=3)
    rest = await claims.lapsed(time.time(), limit=3)
    assert len(first) == 3 and sorted(first + rest) == [f"c_{n}" for n in range(5)]


def test_a_claim_reads_as_a_dict() -> None:
    assert Claim("support", "ann", 12.5).to_dict() == {
        "service": "support",
        "agent": "ann",
        "since": 12.5,
    }


# --- NoteStore --------------------------------------------------------------------------


async def test_notes_are_read_oldest_first_as_stored(store: Redis, prefix: str) -> None:
    notes = NoteStore(store, Keys(prefix))
    assert await notes.read(CID) == []
    first = await notes.append(CID, author="ann", service="team", text="  called them  ", at=10)
    assert first["text"] == "called them" and first["at"] == 10 and first["id"]
    await notes.append(CID, author="bob", service="crm", text="¡sí! 👍")
    found = await notes.read(CID)
    assert [n["text"] for n in found] == ["called them", "¡sí! 👍"]
    assert found[0] == first
    assert await notes.read(CID, limit=1) == found[-1:]
    assert await notes.read(OTHER) == []


async def test_an_empty_or_overlong_note_is_refused(store: Redis, prefix: str) -> None:
    notes = NoteStore(store, Keys(prefix))
    with pytest.raises(ValueError, match="some text"):
        await notes.append(CID, author="ann", service="team", text="   ")
    with pytest.raises(ValueError, match="at most"):
        await notes.append(CID, author="ann", service="team", text="x" * (MAX_NOTE + 1))
    await notes.append(CID, author="ann", service="team", text="x" * MAX_NOTE)
    assert len(await notes.read(CID)) == 1


async def test_only_the_newest_notes_are_kept(store: Redis, prefix: str) -> None:
    notes = NoteStore(store, Keys(prefix), cap=3)
    for n in range(5):
        await notes.append(CID, author="ann", service="team", text=f"note {n}")
    assert [n["text"] for n in await notes.read(CID)] == ["note 2", "note 3", "note 4"]


async def test_erase_drops_every_note_of_a_conversation(store: Redis, prefix: str) -> None:
    notes = NoteStore(store, Keys(prefix))
    for n in range(2):
        await notes.append(CID, author="ann", service="team", text=f"note {n}")
    await notes.append(OTHER, author="ann", service="team", text="kept")
    assert await notes.erase(CID) == 2
    assert await notes.read(CID) == [] and await notes.erase(CID) == 0
    assert len(await notes.read(OTHER)) == 1


# --- FlowStateStore ---------------------------------------------------------------------


async def test_a_saved_state_is_read_back_until_cleared(store: Redis, prefix: str) -> None:
    flows = FlowStateStore(store, Keys(prefix))
    assert await flows.get(CID) is None and await flows.ttl(CID) == -2
    state = {"flow": "signup", "step": "email", "answers": {"name": "Zoë"}}
    async with store.pipeline(transaction=False) as pipe:
        flows.queue_save(pipe, CID, state, ttl=60)
        await pipe.execute()
    assert await flows.get(CID) == state
    assert 55 < await flows.ttl(CID) <= 60
    assert await flows.get_many([OTHER, CID]) == [None, state]
    async with store.pipeline(transaction=False) as pipe:
        flows.queue_clear(pipe, CID)
        await pipe.execute()
    assert await flows.get(CID) is None


async def test_a_state_is_forgotten_after_its_timeout(store: Redis, prefix: str) -> None:
    flows = FlowStateStore(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        flows.queue_save(pipe, CID, {"flow": "signup"}, ttl=0.05)
        await pipe.execute()
    await asyncio.sleep(0.15)
    assert await flows.get(CID) is None


async def test_lookups_queued_on_a_pipeline_are_decoded(store: Redis, prefix: str) -> None:
    flows = FlowStateStore(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        flows.queue_save(pipe, CID, {"flow": "signup", "step": 2}, ttl=60)
        flows.queue_lookup(pipe, CID)
        flows.queue_lookup(pipe, OTHER)
        _, found, missing = await pipe.execute()
    assert flows.decode(found) == {"flow": "signup", "step": 2}
    assert flows.decode(missing) is None


def test_a_state_that_is_not_a_json_object_is_dropped() -> None:
    assert FlowStateStore.decode("not json") is None
    assert FlowStateStore.decode("[1, 2]") is None
    assert FlowStateStore.decode("") is None


async def test_what_the_fallback_reads_of_a_conversation(store: Redis, prefix: str) -> None:
    """The claim, the opt-out and the times of the last replies, in one pipeline."""
    keys = Keys(prefix)
    claims, conversations = ClaimStore(store, keys), ConversationStore(store, keys)

    async def read() -> list[object]:
        async with store.pipeline(transaction=False) as pipe:
            conversations.queue_fallback_lookup(pipe, CID)
            claims.queue_held_lookup(pipe, CID)
            return list(await pipe.execute())

    assert await read() == [[None, None, None], 0]
    await claims.claim(CID, "support", "ann", idle=60)
    await conversations.set_opt_out(CID, True)
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_service_reply(pipe, CID, 100.5)
        conversations.queue_fallback_sent(pipe, CID, 200.25)
        await pipe.execute()
    assert await read() == [["1", "100.5", "200.25"], 1]
