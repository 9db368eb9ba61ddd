"""REL-1 through a crash: a SIGKILLed bot loses no acknowledged webhook, threads each one once
and in order, and fans every one out to the subscriber.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.model import Identity, conversation_id
from stores.conversations import ConversationStore
from stores.redis import Keys
from stores.streams import GROUP
from tests.botprocess import BotProcess
from tests.conftest import PHONE_NUMBER_ID, REDIS_URL
from tests.emulators import meta_webhooks as meta
from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.sink import SubscriberSink

pytestmark = pytest.mark.slow

CUSTOMERS = 200
PER_CUSTOMER = 10
CONCURRENCY = 50
KILL_AFTER = 800
SHARDS = 8
WELCOME = "Welcome!"
# Shard leases live 5 s, and fan-out takes over a dead process's deliveries once they have
# been idle 15 s (3 x the delivery timeout), a round of at most 64 every 15 s: a crash
# mid-burst needs up to ~35 s to be fully delivered.
SETTLE_SECONDS = 45.0
RETRY_SECONDS = 20.0
# Connection failures are how a dead or restarting bot shows itself to Meta.
SEND_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)


@dataclass(frozen=True)
class Webhook:
    """One signed Cloud API delivery of one customer message, ready to (re)send."""

    wa_id: str
    msg_id: str
    timestamp: int
    body: bytes
    signature: str


@dataclass
class Tally:
    """What happened, for the assertions and the summary line."""

    acked: set[str] = field(default_factory=set)
    acked_before_kill: int = 0
    redone: int = 0
    redone_already_logged: int = 0
    dedupe_probes: int = 0
    log_at_kill: int = 0
    pending_at_kill: int = 0


def build_webhooks(app_secret: str) -> dict[str, list[Webhook]]:
    """Per customer, its messages in send order, with strictly increasing timestamps."""
    start = int(time.time()) - 2 * PER_CUSTOMER
    customers: dict[str, list[Webhook]] = {}
    for index in range(CUSTOMERS):
        # 07700 900xxx is Ofcom's range for drama: valid UK mobile numbers nobody owns.
        wa_id = f"4477009{index:05d}"
        hooks = []
        for seq in range(PER_CUSTOMER):
            msg_id = meta.new_message_id()
            payload = meta.text_message(
                PHONE_NUMBER_ID,
                wa_id,
                f"message {seq} from customer {index}",
                msg_id=msg_id,
                name=f"Customer {index}",
                timestamp=start + seq,
            )
            raw = meta.encode(payload)
            hooks.append(Webhook(wa_id, msg_id, start + seq, raw, meta.sign(app_secret, raw)))
        customers[wa_id] = hooks
    return customers


class Meta:
    """Plays Meta's side: posts webhooks with bounded concurrency on one session."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.limit = asyncio.Semaphore(CONCURRENCY)

    async def post(self, base_url: str, hook: Webhook) -> dict[str, Any] | None:
        """The bot's answer when it acknowledged with 200; None for anything else."""
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": hook.signature}
        async with self.limit:
            try:
                async with self.session.post(
                    f"{base_url}/webhooks/whatsapp", data=hook.body, headers=headers
                ) as response:
                    if response.status != 200:
                        return None
                    answer: dict[str, Any] = await response.json()
                    return answer
            except SEND_ERRORS:
                return None

    async def post_until_acked(
        self, base_url: str, hook: Webhook, stop: asyncio.Event | None = None
    ) -> dict[str, Any] | None:
        """Retry like Meta does until the bot acknowledges; None once ``stop`` is set."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_SECONDS
        while True:
            answer = await self.post(base_url, hook)
            if answer is not None:
                return answer
            if stop is not None and stop.is_set():
                return None
            if loop.time() > deadline:
                raise TimeoutError(f"{hook.msg_id} was refused for {RETRY_SECONDS}s")
            await asyncio.sleep(0.1)


async def stream_state(redis: Redis, keys: Keys, kind: str) -> tuple[int, int]:
    """(entries in the log, entries read but not acknowledged) over all shards."""
    key = keys.inbound if kind == "inbound" else keys.outbox
    async with redis.pipeline(transaction=False) as pipe:
        for shard in range(SHARDS):
            pipe.xlen(key(shard))
            pipe.xpending(key(shard), GROUP)
        replies = await pipe.execute()
    lengths = sum(int(length) for length in replies[0::2])
    pending = sum(int(summary["pending"]) for summary in replies[1::2])
    return lengths, pending


def inbound_ids(sink: SubscriberSink) -> Counter[str]:
    return Counter(str(event["data"]["message"]["id"]) for event in sink.events("message.inbound"))


def output_of(process: BotProcess) -> str:
    return process.output() if process.log_path.exists() else "(never started)"


async def wait_until(check: Callable[[], Awaitable[str]], timeout: float) -> None:
    """Poll ``check`` (which says what is still missing, or "" when done) until done."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    missing = await check()
    while missing:
        if loop.time() > deadline:
            raise TimeoutError(f"not done after {timeout}s: {missing}")
        await asyncio.sleep(0.25)
        missing = await check()


async def test_acknowledged_webhooks_survive_a_sigkill(prefix: str, real_redis: Redis) -> None:
    app_secret = secrets.token_hex(16)
    access_token = secrets.token_hex(16)
    sink_secret = secrets.token_hex(16)
    graph = GraphAPIEmulator(access_token)
    sink = SubscriberSink(sink_secret)
    env = {
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "SWITCHBOARD_SHARDS": str(SHARDS),
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": access_token,
        "WHATSAPP_APP_SECRET": app_secret,
        "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
        "WHATSAPP_API_BASE": await graph.start(),
        "SINK_SECRET": sink_secret,
    }
    config = {
        "services": [{"name": "support", "url": await sink.start(), "secret": "${SINK_SECRET}"}],
        "delivery": {"retry_base": 0.1, "retry_cap": 1.0, "timeout": 5},
        "automation": {"welcome": WELCOME},
    }
    customers = build_webhooks(app_secret)
    every = {hook.msg_id: hook for hooks in customers.values() for hook in hooks}
    keys = Keys(prefix)
    tally = Tally()
    first = BotProcess(env, config)
    second = BotProcess(env, config, port=first.port)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
    meta_side = Meta(session)
    started = time.monotonic()
    try:
        # The emulators live in this event loop, so blocking process calls go to a thread.
        await asyncio.to_thread(first.start)
        kill_now = asyncio.Event()

        async def customer_before_crash(hooks: list[Webhook]) -> None:
            for hook in hooks:
                if await meta_side.post_until_acked(first.url, hook, kill_now) is None:
                    # Stop here: sending later messages first would break the order.
                    return
                tally.acked.add(hook.msg_id)
                if len(tally.acked) >= KILL_AFTER:
                    kill_now.set()

        async def crash() -> None:
            await kill_now.wait()
            await asyncio.to_thread(first.kill)
            tally.log_at_kill, tally.pending_at_kill = await stream_state(
                real_redis, keys, "inbound"
            )

        crasher = asyncio.create_task(crash())
        await asyncio.gather(*(customer_before_crash(hooks) for hooks in customers.values()))
        if not kill_now.is_set():
            crasher.cancel()
            pytest.fail("the load finished before the kill: raise CUSTOMERS")
        await crasher
        tally.acked_before_kill = len(tally.acked)

        await asyncio.to_thread(second.start)
        before_restart = set(tally.acked)

        async def customer_after_restart(hooks: list[Webhook]) -> None:
            # Meta redelivers what was not acknowledged; one at a time keeps the order.
            for hook in hooks:
                if hook.msg_id in before_restart:
                    continue
                answer = await meta_side.post_until_acked(second.url, hook)
                assert answer is not None
                tally.acked.add(hook.msg_id)
                tally.redone += 1
                # In flight at the kill: logged durably, but the 200 never left the process.
                tally.redone_already_logged += answer["new"] == 0

        async def duplicate_delivery(hook: Webhook) -> None:
            answer = await meta_side.post_until_acked(second.url, hook)
            assert answer is not None
            tally.dedupe_probes += 1
            assert answer["new"] == 0, f"{hook.msg_id} was acknowledged twice as new"

        # Every customer's first acknowledged message comes again: a retry of a delivered
        # webhook, racing the redelivery of the missing ones.
        probes = [
            next(hook for hook in hooks if hook.msg_id in before_restart)
            for hooks in customers.values()
            if hooks[0].msg_id in before_restart
        ]
        await asyncio.gather(
            *(customer_after_restart(hooks) for hooks in customers.values()),
            *(duplicate_delivery(hook) for hook in probes),
        )
        assert tally.acked == set(every)

        async def unfinished() -> str:
            length, pending = await stream_state(real_redis, keys, "inbound")
            fanned_out = inbound_ids(sink)
            missing = [msg_id for msg_id in tally.acked if msg_id not in fanned_out]
            if length or pending or missing:
                return (
                    f"inbound log holds {length} ({pending} pending); "
                    f"{len(missing)} acknowledged messages not at the subscriber"
                )
            return ""

        await wait_until(unfinished, SETTLE_SECONDS)

        store = ConversationStore(real_redis, keys)
        number = f"wa:{PHONE_NUMBER_ID}"
        duplicates = 0
        for wa_id, hooks in customers.items():
            timeline = await store.timeline(
                conversation_id(number, Identity("wa", wa_id)), limit=10000
            )
            inbound = [message for message in timeline if message["direction"] == "inbound"]
            seen = Counter(message["id"] for message in inbound)
            duplicates += sum(count - 1 for count in seen.values())
            lost = [hook.msg_id for hook in hooks if seen[hook.msg_id] == 0]
            assert not lost, f"{wa_id}: acknowledged but not in the thread: {lost}"
            twice = {msg_id: count for msg_id, count in seen.items() if count > 1}
            assert not twice, f"{wa_id}: threaded more than once: {twice}"
            assert [message["id"] for message in inbound] == [hook.msg_id for hook in hooks], (
                f"{wa_id}: the thread is out of send order"
            )
            stamps = [message["timestamp"] for message in inbound]
            assert stamps == [hook.timestamp for hook in hooks], f"{wa_id}: wrong timestamps"

        fanned_out = inbound_ids(sink)
        assert set(fanned_out) == set(every), "the subscriber heard of unknown messages"

        # A redo may lose a welcome whose send was cut short, but must never send it twice.
        welcomes = Counter(sent.to for sent in graph.sent if sent.text == WELCOME)
        assert max(welcomes.values(), default=0) <= 1, "a customer was welcomed twice"

        code = await asyncio.to_thread(second.stop)
        assert code == 0, f"the graceful stop exited with {code}"
        print(
            f"\nREL-1 crash: {tally.acked_before_kill} acked before the kill "
            f"(log {tally.log_at_kill}, pending {tally.pending_at_kill} at the kill); "
            f"{tally.redone} redelivered after the restart "
            f"({tally.redone_already_logged} already logged); "
            f"{tally.dedupe_probes} duplicate deliveries all deduped; "
            f"{duplicates} duplicates in threads; "
            f"{sum(fanned_out.values()) - len(fanned_out)} repeated subscriber deliveries; "
            f"{len(welcomes)} welcomes; {time.monotonic() - started:.1f}s"
        )
    except BaseException:
        print("--- first bot process ---\n" + output_of(first))
        print("--- second bot process ---\n" + output_of(second))
        raise
    finally:
        await session.close()
        await asyncio.to_thread(first.close)
        await asyncio.to_thread(second.close)
        await sink.stop()
        await graph.stop()
