"""Store contracts, part two: conversation threads and the profiles behind customers.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike (see ``test_stores.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.model import Identity, Pricing
from stores.conversations import (
    ClaimCheck,
    ConversationStore,
    CustomerOptedOutError,
    EarlyReceipt,
    Recorded,
)
from stores.redis import Keys

NUMBER = "wa:106540352242922"
CUSTOMER = "wa:447700900123"
CID = "c_0123456789abcdef0123"
T0 = 1_700_000_000.25


def _message(message_id: str, at: float, text: str = "hi") -> dict[str, Any]:
    return {"id": message_id, "timestamp": at, "text": text}


async def _record(
    conversations: ConversationStore,
    message_id: str,
    at: float,
    direction: str = "inbound",
    profile: str = "",
) -> Recorded:
    return await conversations.record(
        CID,
        _message(message_id, at),
        direction=direction,
        number=NUMBER,
        customer=CUSTOMER,
        channel="whatsapp",
        profile=profile,
    )


# --- ConversationStore: recording -----------------------------------------------------


async def test_record_is_idempotent_per_message_id(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    first = await _record(conversations, "wamid.1", T0)
    again = await _record(conversations, "wamid.1", T0)
    assert (first.new, first.count) == (True, 1)
    # A redo after a crash must not count the message twice nor show it twice.
    assert (again.new, again.count) == (False, 1)
    assert [m["id"] for m in await conversations.timeline(CID)] == ["wamid.1"]


async def test_record_counts_each_direction(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert (await _record(conversations, "in-1", T0)).count == 1
    assert (await _record(conversations, "out-1", T0 + 1, direction="outbound")).count == 1
    assert (await _record(conversations, "in-2", T0 + 2)).count == 2
    meta = await conversations.meta(CID)
    assert (meta["inbound"], meta["outbound"]) == ("2", "1")
    timeline = await conversations.timeline(CID)
    assert [m["id"] for m in timeline] == ["in-1", "out-1", "in-2"]
    assert [m["id"] for m in await conversations.timeline(CID, limit=2)] == ["out-1", "in-2"]


async def test_record_on_a_pipeline(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        for n in range(2):
            conversations.queue_record(
                pipe,
                CID,
                _message(f"out-{n}", T0 + n),
                direction="outbound",
                number=NUMBER,
                customer=CUSTOMER,
                channel="whatsapp",
            )
        answers = await pipe.execute()
    assert [conversations.recorded(answer) for answer in answers] == [
        Recorded(True, 1),
        Recorded(True, 2),
    ]
    assert [m["id"] for m in await conversations.timeline(CID)] == ["out-0", "out-1"]


async def test_a_record_answers_what_the_automation_looks_up(store: Redis, prefix: str) -> None:
    """When the contact last got an automated answer, and whether a drip step went to
    them since their last message: read by the record, new or redone."""
    conversations = ConversationStore(store, Keys(prefix))
    first = await _record(conversations, "in-1", T0)
    assert (first.answered_at, first.dripped) == (0.0, False)
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_auto_reply(pipe, CID, T0 + 0.5)
        conversations.queue_drip_mark(pipe, CID, True)
        await pipe.execute()
    for message_id in ("in-2", "in-1"):
        recorded = await _record(conversations, message_id, T0 + 1)
        assert (recorded.answered_at, recorded.dripped) == (T0 + 0.5, True), message_id
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_drip_mark(pipe, CID, False)
        await pipe.execute()
    assert not (await _record(conversations, "in-3", T0 + 2)).dripped


async def test_a_record_says_whether_the_customer_had_opted_out(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert not (await _record(conversations, "in-1", T0)).opted_out
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_opt_out(pipe, CID, True)
        await pipe.execute()
    assert (await _record(conversations, "in-2", T0 + 1)).opted_out
    assert (await _record(conversations, "in-1", T0)).opted_out  # a redo reads it too
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_opt_out(pipe, CID, False)
        await pipe.execute()
    assert not (await _record(conversations, "in-3", T0 + 2)).opted_out


async def test_erasing_content_names_the_files_the_customer_sent(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    inbound, outbound = {"direction": "inbound"}, {"direction": "outbound"}
    photo = _message("in-1", T0) | inbound | {"media": {"id": "1234", "ref": "wa_1234"}}
    upload = _message("in-2", T0 + 1) | inbound | {"media": {"id": "med_abc", "ref": ""}}
    ours = _message("out-1", T0 + 2) | outbound | {"media": {"id": "med_ours", "ref": ""}}
    for message, direction in ((photo, "inbound"), (upload, "inbound"), (ours, "outbound")):
        await conversations.record(
            CID,
            message,
            direction=direction,
            number=NUMBER,
            customer=CUSTOMER,
            channel="whatsapp",
            profile="",
        )
    first = await conversations.erase_content(CID)
    assert (first.messages, first.files) == (3, ["wa_1234", "1234", "med_abc"])
    again = await conversations.erase_content(CID)
    assert (again.messages, again.files) == (0, [])


async def test_meta_describes_the_conversation(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    await _record(conversations, "wamid.1", T0, profile="p_1")
    await _record(conversations, "wamid.2", T0 + 5)
    meta = await conversations.meta(CID)
    assert (meta["number"], meta["customer"], meta["channel"]) == (NUMBER, CUSTOMER, "whatsapp")
    assert float(meta["created_at"]) == T0
    assert float(meta["last_at"]) == T0 + 5
    # A message recorded without a profile does not forget the one already known.
    assert meta["profile"] == "p_1"
    assert await conversations.meta("c_unknown") == {}


async def test_last_inbound_at_keeps_the_latest_customer_message(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert await conversations.last_inbound_at(CID) is None
    await _record(conversations, "late", T0 + 60)
    # Webhooks arrive out of order; the 24 h window must not shrink because of that.
    await _record(conversations, "early", T0)
    assert await conversations.last_inbound_at(CID) == T0 + 60
    # Our own replies do not reopen the customer's window.
    await _record(conversations, "reply", T0 + 120, direction="outbound")
    assert await conversations.last_inbound_at(CID) == T0 + 60


# --- ConversationStore: delivery state and sends --------------------------------------


async def test_status_never_goes_backwards(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    await _record(conversations, "snd_1", T0, direction="outbound")
    assert await conversations.set_status(CID, "snd_1", "sent")
    assert await conversations.set_status(CID, "snd_1", "read")
    assert not await conversations.set_status(CID, "snd_1", "delivered")
    assert not await conversations.set_status(CID, "snd_1", "read")
    assert (await conversations.timeline(CID))[0]["status"] == "read"
    assert await conversations.set_status(CID, "snd_1", "failed")
    assert not await conversations.set_status(CID, "snd_1", "read")
    assert (await conversations.timeline(CID))[0]["status"] == "failed"


async def test_claim_send_succeeds_once(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert await conversations.claim_send(CID, "snd_1")
    assert not await conversations.claim_send(CID, "snd_1")
    # Two workers racing on the same send: exactly one may call the provider.
    claims = await asyncio.gather(*(conversations.claim_send(CID, "snd_2") for _ in range(10)))
    assert sorted(claims) == [False] * 9 + [True]


async def test_a_claim_queued_on_a_round_trip_answers_as_claim_send(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_claim_send(pipe, CID, "snd_1")
        conversations.queue_claim_send(pipe, CID, "snd_1")
        first, second = await pipe.execute()
    assert conversations.claimed(first) and not conversations.claimed(second)
    await conversations.set_opt_out(CID, True)
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_claim_send(pipe, CID, "snd_2")
        conversations.queue_claim_send(pipe, CID, "snd_3", despite_opt_out=True)
        refused, required = await pipe.execute()
    with pytest.raises(CustomerOptedOutError):
        conversations.claimed(refused)
    assert conversations.claimed(required)


async def test_a_send_already_started_is_not_claimed_even_after_an_opt_out(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert await conversations.claim_send(CID, "snd_1")
    await conversations.complete_send(CID, "snd_1", "wamid.OUT1")
    assert await conversations.claim_send(CID, "snd_2")
    await conversations.set_opt_out(CID, True)
    # Sent, or still sending: the claim says no without calling it an opt-out.
    assert not await conversations.claim_send(CID, "snd_1")
    assert not await conversations.claim_send(CID, "snd_2")
    assert await conversations.send_states([(CID, "snd_1"), (CID, "snd_2")]) == [
        "sent",
        "claimed",
    ]


async def test_complete_send_links_provider_and_send_ids(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    await _record(conversations, "snd_1", T0, direction="outbound")
    assert await conversations.claim_send(CID, "snd_1")
    # Before the send completes the timeline shows no provider id yet.
    assert "provider_id" not in (await conversations.timeline(CID))[0]

    await conversations.complete_send(CID, "snd_1", "wamid.OUT1")

    assert await conversations.message_for_provider_id(CID, "wamid.OUT1") == "snd_1"
    assert await conversations.message_for_provider_id(CID, "wamid.OTHER") == "wamid.OTHER"
    message = (await conversations.timeline(CID))[0]
    assert (message["provider_id"], message["status"]) == ("wamid.OUT1", "sent")
    assert not await conversations.claim_send(CID, "snd_1")
    # The receipts name the provider id; they move our message forward.
    send_id = await conversations.message_for_provider_id(CID, "wamid.OUT1")
    assert await conversations.set_status(CID, send_id, "delivered")
    assert (await conversations.timeline(CID))[0]["status"] == "delivered"


async def _early(conversations: ConversationStore, provider_id: str, receipt: EarlyReceipt) -> None:
    async with conversations.redis.pipeline(transaction=False) as pipe:
        conversations.queue_early_status(pipe, CID, provider_id, receipt)
        await pipe.execute()


async def _complete(
    conversations: ConversationStore, send_id: str, provider_id: str
) -> EarlyReceipt | None:
    async with conversations.redis.pipeline(transaction=False) as pipe:
        conversations.queue_complete_send(pipe, CID, send_id, provider_id)
        (answer,) = await pipe.execute()
    return conversations.early_receipt(answer)


async def test_a_receipt_before_the_sends_record_keeps_metas_pricing(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    free = Pricing(False, "PMP", "free_entry_point", "marketing")
    # The furthest receipt is handed over, with the pricing one of them brought.
    await _early(conversations, "wamid.A", EarlyReceipt("delivered", free))
    await _early(conversations, "wamid.A", EarlyReceipt("read"))
    await _early(conversations, "wamid.B", EarlyReceipt("read"))
    await _early(conversations, "wamid.B", EarlyReceipt("delivered", free))
    await _early(conversations, "wamid.C", EarlyReceipt("sent", free))
    assert await _complete(conversations, "snd_a", "wamid.A") == EarlyReceipt("read", free)
    assert await _complete(conversations, "snd_b", "wamid.B") == EarlyReceipt("read", free)
    assert await _complete(conversations, "snd_c", "wamid.C") is None  # "sent" is the record's
    # One kept as its status alone is read as such.
    await store.hset(Keys(prefix).conversation(CID, "early"), "wamid.D", "delivered")
    assert await _complete(conversations, "snd_d", "wamid.D") == EarlyReceipt("delivered")
    assert await _complete(conversations, "snd_e", "wamid.E") is None
    states = await conversations.send_states([(CID, f"snd_{n}") for n in "abcde"])
    assert states == ["sent"] * 5


async def test_a_failure_before_the_sends_record_keeps_metas_error(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    free = Pricing(False, "PMP", "free_customer_service", "service")
    await _early(conversations, "wamid.A", EarlyReceipt("delivered", free))
    failed = EarlyReceipt("failed", error="Message undeliverable", error_code="131026")
    await _early(conversations, "wamid.A", failed)
    answer = await _complete(conversations, "snd_a", "wamid.A")
    assert answer == EarlyReceipt("failed", free, "Message undeliverable", "131026")
    assert await conversations.send_states([(CID, "snd_a")]) == ["sent"]


async def test_abandon_sends_takes_only_sends_nobody_started(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert await conversations.claim_send(CID, "snd-started") is True
    taken = await conversations.abandon_sends(
        [(CID, "snd-started"), (CID, "snd-idle"), ("c_other", "snd-idle")], "stale"
    )
    assert taken == [False, True, True]
    # The sender finds an abandoned send claimed: it never goes out.
    assert await conversations.claim_send(CID, "snd-idle") is False
    assert await conversations.abandon_sends([(CID, "snd-idle")], "stale") == [False]
    assert await conversations.abandon_sends([], "stale") == []


async def test_fail_send_marks_the_message_failed(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    await _record(conversations, "snd_1", T0, direction="outbound")
    assert await conversations.claim_send(CID, "snd_1")
    await conversations.fail_send(CID, "snd_1", "131047 re-engagement required")
    message = (await conversations.timeline(CID))[0]
    assert message["status"] == "failed"
    assert "provider_id" not in message
    # A failed send is not retried behind the caller's back.
    assert not await conversations.claim_send(CID, "snd_1")


async def test_send_states_say_where_each_send_is(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert await conversations.claim_send(CID, "snd-claimed")
    assert await conversations.claim_send(CID, "snd-sent")
    await conversations.complete_send(CID, "snd-sent", "wamid.OUT1")
    await conversations.fail_send(CID, "snd-failed", "131047 re-engagement required")
    sends = [(CID, "snd-new"), (CID, "snd-claimed"), (CID, "snd-sent"), (CID, "snd-failed")]
    assert await conversations.send_states(sends) == ["", "claimed", "sent", "failed"]
    assert await conversations.send_states([]) == []


async def test_a_released_claim_is_claimed_again_and_only_a_claim_is_released(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert await conversations.claim_send(CID, "snd_1")
    await conversations.release_send(CID, "snd_1")  # a 429: not sent, tried again later
    assert await conversations.send_states([(CID, "snd_1")]) == [""]
    assert await conversations.claim_send(CID, "snd_1")
    await conversations.complete_send(CID, "snd_1", "wamid.OUT1")
    await conversations.fail_send(CID, "snd_2", "refused")
    await conversations.release_send(CID, "snd_1")
    await conversations.release_send(CID, "snd_2")
    assert await conversations.send_states([(CID, "snd_1"), (CID, "snd_2")]) == ["sent", "failed"]


async def test_a_claim_older_than_any_attempt_is_settled_as_failed_once(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    await _record(conversations, "snd_1", T0, direction="outbound")
    assert await conversations.claim_send(CID, "snd_1")
    young = await conversations.settle_claim(CID, "snd_1", older_than=60, reason="interrupted")
    assert young.state == "claimed" and 59 < young.wait <= 60
    assert await conversations.send_states([(CID, "snd_1")]) == ["claimed"]

    old = await conversations.settle_claim(CID, "snd_1", older_than=0, reason="interrupted")
    assert old == ClaimCheck("failed")
    assert (await conversations.timeline(CID))[0]["status"] == "failed"
    assert await conversations.send_states([(CID, "snd_1")]) == ["failed"]
    # Settled once: whoever asks again finds it done, and nobody claims it again.
    again = await conversations.settle_claim(CID, "snd_1", older_than=0, reason="interrupted")
    assert again == ClaimCheck("done")
    assert not await conversations.claim_send(CID, "snd_1")


async def test_settle_claim_leaves_sends_that_are_not_claimed(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    assert await conversations.claim_send(CID, "snd-sent")
    await conversations.complete_send(CID, "snd-sent", "wamid.OUT1")
    for send_id, state in (("snd-sent", "done"), ("snd-never", "free")):
        check = await conversations.settle_claim(CID, send_id, older_than=0, reason="x")
        assert check == ClaimCheck(state)
    assert await conversations.send_states([(CID, "snd-sent"), (CID, "snd-never")]) == [
        "sent",
        "",
    ]


# --- ConversationStore: the number's index --------------------------------------------


async def test_list_for_number_puts_the_most_recent_first(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        conversations.touch(pipe, NUMBER, "c_a", T0 + 1)
        conversations.touch(pipe, NUMBER, "c_b", T0 + 3)
        conversations.touch(pipe, NUMBER, "c_c", T0 + 2)
        conversations.touch(pipe, "wa:other", "c_z", T0 + 9)
        await pipe.execute()
    assert await conversations.list_for_number(NUMBER) == ["c_b", "c_c", "c_a"]
    async with store.pipeline(transaction=False) as pipe:
        conversations.touch(pipe, NUMBER, "c_a", T0 + 4)
        await pipe.execute()
    assert await conversations.list_for_number(NUMBER) == ["c_a", "c_b", "c_c"]
    assert await conversations.list_for_number(NUMBER, limit=2) == ["c_a", "c_b"]
    assert await conversations.list_for_number("wa:nobody") == []


async def test_a_late_older_message_does_not_move_a_conversation_down(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        conversations.touch(pipe, NUMBER, "c_a", T0 + 10)
        conversations.touch(pipe, NUMBER, "c_b", T0 + 5)
        # The webhook of an earlier message of c_a arrives last.
        conversations.touch(pipe, NUMBER, "c_a", T0)
        await pipe.execute()
    assert await conversations.list_for_number(NUMBER) == ["c_a", "c_b"]


async def test_find_by_prefix_finds_a_numbers_conversations_by_the_start_of_their_id(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        for n, cid in enumerate(["c_abc111", "c_abc222", "c_abd333", "c_x*y", "c_x1y"]):
            conversations.touch(pipe, NUMBER, cid, T0 + n)
        conversations.touch(pipe, "wa:other", "c_abc999", T0)
        await pipe.execute()
    assert await conversations.find_by_prefix(NUMBER, "c_abd", 2) == ["c_abd333"]
    assert sorted(await conversations.find_by_prefix(NUMBER, "c_abc", 10)) == [
        "c_abc111",
        "c_abc222",
    ]
    assert len(await conversations.find_by_prefix(NUMBER, "c_ab", 2)) == 2
    assert await conversations.find_by_prefix(NUMBER, "c_zzz", 2) == []
    assert await conversations.find_by_prefix("wa:nobody", "c_", 2) == []
    # What a scan pattern would read as a wildcard matches only itself.
    assert await conversations.find_by_prefix(NUMBER, "c_x*", 2) == ["c_x*y"]


async def test_find_by_prefix_stops_at_its_limit_in_a_large_index(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        for n in range(1000):
            conversations.touch(pipe, NUMBER, f"c_{n:04d}", T0 + n)
        await pipe.execute()
    found = await conversations.find_by_prefix(NUMBER, "c_0", 3)
    assert len(found) == 3 and all(cid.startswith("c_0") for cid in found)


# --- ProfileStore ---------------------------------------------------------------------

PHONE = Identity("phone", "+447700900123")
WA = Identity("wa", "447700900123")
EMAIL = Identity("email", "ada@example.com")


async def test_a_redo_reports_the_ordinal_the_message_first_got(store: Redis, prefix: str) -> None:
    # The pipeline decides "first contact" from this ordinal; a redo after a crash, when
    # later messages are already recorded, must decide the same way.
    conversations = ConversationStore(store, Keys(prefix))
    await _record(conversations, "in-1", T0)
    await _record(conversations, "in-2", T0 + 1)
    redo = await _record(conversations, "in-1", T0)
    assert (redo.new, redo.count) == (False, 1)


async def test_a_send_is_not_claimed_once_the_customer_opted_out(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    await _record(conversations, "in-1", T0)
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_opt_out(pipe, CID, True)
        await pipe.execute()
    with pytest.raises(CustomerOptedOutError):
        await conversations.claim_send(CID, "snd-1")
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_opt_out(pipe, CID, False)
        await pipe.execute()
    assert await conversations.claim_send(CID, "snd-1") is True


async def test_set_opt_out_records_stop_and_start(store: Redis, prefix: str) -> None:
    conversations = ConversationStore(store, Keys(prefix))
    await _record(conversations, "in-1", T0)
    await conversations.set_opt_out(CID, True)
    assert (await conversations.meta(CID))["opted_out"] == "1"
    with pytest.raises(CustomerOptedOutError):
        await conversations.claim_send(CID, "snd-1")
    # A send the channel's rules require (an answer to HELP) still goes.
    assert await conversations.claim_send(CID, "snd-help", despite_opt_out=True) is True
    await conversations.set_opt_out(CID, False)
    assert "opted_out" not in await conversations.meta(CID)
    assert await conversations.claim_send(CID, "snd-1") is True
    await conversations.set_opt_out(CID, False)  # START twice changes nothing
    assert "opted_out" not in await conversations.meta(CID)


async def test_a_carrier_opt_out_holds_unless_the_customer_opted_in_after_the_send(
    store: Redis, prefix: str
) -> None:
    conversations = ConversationStore(store, Keys(prefix))

    async def carrier_opt_out(message_id: str) -> int:
        async with store.pipeline(transaction=False) as pipe:
            conversations.queue_carrier_opt_out(pipe, CID, message_id)
            (answer,) = await pipe.execute()
        return int(answer)

    assert await carrier_opt_out("snd-1") == -1  # no conversation: nothing kept
    assert not await store.exists(Keys(prefix).conversation(CID, "meta"))
    await _record(conversations, "in-1", T0)
    await _record(conversations, "snd-1", T0 + 1, "outbound")
    assert await carrier_opt_out("snd-1") == 1
    assert (await conversations.meta(CID))["opted_out"] == "1"
    await conversations.set_opt_out(CID, False)  # START, after snd-1 went
    assert await carrier_opt_out("snd-1") == 0
    assert "opted_out" not in await conversations.meta(CID)
    await _record(conversations, "snd-2", T0 + 2, "outbound")
    assert await carrier_opt_out("snd-2") == 1
    async with store.pipeline(transaction=False) as pipe:
        conversations.queue_opt_out(pipe, CID, False)  # START again, on a pipeline
        await pipe.execute()
    assert await carrier_opt_out("snd-2") == 0
    assert await carrier_opt_out("SM-not-recorded-yet") == 1
    assert (await conversations.meta(CID))["opted_out"] == "1"
