"""The Telegram channel in the runtime: one poller per token across processes (a lease
with fencing), the webhook's ingest, and sending within Telegram's limits (CH-3, CH-6).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import mimetypes
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from adapters.telegram_common import (
    FileUpload,
    TelegramClient,
    TelegramConflictError,
    TelegramError,
    block_change,
    chat_move,
    inbound_from_update,
)
from bot.channels.ratelimit import ChatSpacing
from bot.config.settings import ConfigError, TelegramSettings
from bot.core.media import MediaLibrary
from bot.core.retry import log_failure
from bot.core.sender import SendFailedError
from bot.model import Identity, Inbound, Outbound, conversation_id
from stores.leases import Leases
from stores.polling import PollOffsets
from stores.rates import SharedRate
from stores.redis import StoreError

log = logging.getLogger(__name__)
T = TypeVar("T")

_NAMED_COMMAND = re.compile(r"(/\w+)@(\w+)(?=\s|$)")
"""A command that names the bot it is for: ``/stop@SwitchboardBot``."""

POLL_TIMEOUT = 5.0
"""Seconds a getUpdates call waits for news; well inside the lease's time to live."""
BULK_PER_SECOND = 30.0
CHAT_INTERVAL = 1.0
"""About one message a second in one chat."""
GROUP_PER_MINUTE = 20
OFFSET_LOOK_SECONDS = 3600.0
"""How often a poll that has not moved its offset reads it again from the store, where it
is forgotten six days after it last moved (``stores.polling.OFFSET_SECONDS``)."""
WEBHOOK_RETRY_CAP = 300.0
"""Seconds between asks at most, for a webhook Telegram did not take at the start."""
REFUSED_TOKEN = (
    "Telegram refuses TELEGRAM_BOT_TOKEN (401 Unauthorized to %s): the token is wrong or "
    "was revoked; set the one @BotFather gives and restart (it is asked again meanwhile)"
)
WEBHOOK_BEAT = 10.0
"""Seconds between a webhook-mode process's words that it runs (one command each)."""
WEBHOOK_ALIVE_MS = 35_000
"""How long such a word holds: a process in webhook mode that died is forgotten after it,
and a poller of the bot may take the webhook off."""
POLL_RETRY_CAP = 60.0
"""Seconds between getUpdates at most, while Telegram keeps failing or refusing them (a
revoked token is refused for good)."""

Ingest = Callable[[Sequence[Inbound]], Awaitable[list[bool]]]


EXTRAS = {"aiogram": "telegram", "ptb": "ptb"}
"""The install extra that brings each TELEGRAM_FRAMEWORK's library."""


def make_client(settings: TelegramSettings) -> TelegramClient:
    """The adapter TELEGRAM_FRAMEWORK names, behind the one channel contract.

    Each framework is an optional extra, so that a bot without Telegram installs neither.
    """
    try:
        if settings.framework == "ptb":
            from adapters.telegram_ptb import PTBClient

            return PTBClient(settings.token, settings.api_base)
        from adapters.telegram import AiogramClient

        return AiogramClient(settings.token, settings.api_base)
    except ModuleNotFoundError as missing:
        raise _not_installed(settings, str(missing.name)) from None


def _not_installed(settings: TelegramSettings, library: str) -> ConfigError:
    extra = EXTRAS.get(settings.framework, "telegram")
    return ConfigError(
        f"TELEGRAM_BOT_TOKEN is set but {library} is not installed: "
        f"pip install 'switchboard[{extra}]'"
    )


class DeferredClient:
    """The TELEGRAM_FRAMEWORK's client, made at its first use: aiogram builds its models
    of the whole Bot API when imported, seconds of CPU, which a process that never calls
    Telegram (an ``admin`` command) does not pay. A framework that is not installed is
    said at once, as ``make_client`` says it."""

    def __init__(self, settings: TelegramSettings) -> None:
        library = "telegram" if settings.framework == "ptb" else "aiogram"
        if importlib.util.find_spec(library) is None:
            raise _not_installed(settings, library)
        self._settings = settings
        self._client: TelegramClient | None = None
        self.bot_id = settings.token.partition(":")[0]

    @property
    def _made(self) -> TelegramClient:
        if self._client is None:
            self._client = make_client(self._settings)
        return self._client

    async def start(self) -> None:
        await self._made.start()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    async def username(self) -> str:
        return await self._made.username()

    async def get_updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        return await self._made.get_updates(offset, timeout)

    def validate(self, update: Mapping[str, Any]) -> dict[str, Any]:
        return self._made.validate(update)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._made.set_webhook(url, secret)

    async def delete_webhook(self) -> None:
        await self._made.delete_webhook()

    async def send_text(
        self, chat_id: str, text: str, buttons: Sequence[str] = (), reply_to: str = ""
    ) -> str:
        return await self._made.send_text(chat_id, text, buttons, reply_to)

    async def send_file(
        self, chat_id: str, kind: str, file: str | FileUpload, caption: str = ""
    ) -> str:
        return await self._made.send_file(chat_id, kind, file, caption)

    async def answer_callback(self, callback_id: str) -> None:
        await self._made.answer_callback(callback_id)

    async def send_typing(self, chat_id: str) -> None:
        await self._made.send_typing(chat_id)


class ChatMovedError(SendFailedError):
    """Telegram refused a send to a group that has become a supergroup, named ``chat``."""

    def __init__(self, message: str, chat: str) -> None:
        super().__init__(message, retryable=False)
        self.chat = chat


ChatMoved = Callable[[str, str], Awaitable[None]]
"""Told (the old id, the new) when a group the bot is in becomes a supergroup."""

Blocked = Callable[[Sequence[tuple[str, bool, float]]], Awaitable[None]]
"""Told (the conversation id, blocked or not, when) of customers who blocked the bot or
unblocked it."""


class TelegramChannel:
    """Gets the bot's updates into the inbound log, and sends as the bot."""

    per_second = BULK_PER_SECOND
    """The bot's sends a second, to every chat together."""

    def __init__(
        self,
        settings: TelegramSettings,
        client: TelegramClient,
        leases: Leases,
        offsets: PollOffsets,
        ingest: Ingest,
        rate: SharedRate,
        lease_ttl: float,
        media: MediaLibrary | None = None,
    ) -> None:
        self.settings = settings
        self.media = media
        """Files uploaded here, sent with replies."""
        self.client = client
        self.leases = leases
        self.offsets = offsets
        self.ingest = ingest
        self.rate = rate
        self.spacing = ChatSpacing()
        self.lease_ttl = lease_ttl
        self.lease = f"telegram:{client.bot_id}"
        self._webhook_group = f"telegram-webhook:{client.bot_id}"
        """The processes in webhook mode that serve this bot, alive (``WEBHOOK_ALIVE_MS``)."""
        self.polling = False
        """Whether this process holds the poller's lease right now."""
        self._webhook_url = ""
        self._webhook_set = False
        self._yielding = False
        """Whether this poller left the webhook of a process in webhook mode be, last it looked."""
        self.polls = 0
        self.chat_moved: ChatMoved | None = None
        """Told of a group that became a supergroup (the team chat follows its own)."""
        self.blocked: Blocked | None = None
        """Told of customers who blocked the bot or unblocked it (kept on their
        conversations, before the update is acknowledged: Telegram does not say it twice)."""

    @property
    def number(self) -> str:
        return f"tg:{self.client.bot_id}"

    async def start(self, webhook_url: str) -> None:
        """Open the client; in webhook mode, point Telegram at ``webhook_url``. A webhook
        Telegram does not take now (unreachable, or refusing the URL) is said, and set
        again by ``run`` until it is: the rest of the bot does not wait for Telegram."""
        await self.client.start()
        self._webhook_url = webhook_url
        if self.settings.mode == "webhook":
            self._webhook_set = await self._set_webhook()

    async def _set_webhook(self) -> bool:
        try:
            await self.client.set_webhook(self._webhook_url, self.settings.webhook_secret)
        except TelegramError as error:
            if error.code == "401":
                log.error(REFUSED_TOKEN, "setWebhook")
                return False
            log.error(
                "Telegram did not take the webhook %s (%s); it is asked again, and until it "
                "takes it no Telegram update comes in",
                self._webhook_url,
                error,
            )
            return False
        return True

    async def close(self) -> None:
        await self.client.close()

    async def accept(self, updates: Sequence[Mapping[str, Any]]) -> int:
        """Store updates durably (deduped by message), then answer button presses; the
        number of new messages."""
        for update in updates:
            move = chat_move(update)
            if move is not None and self.chat_moved is not None:
                await self.chat_moved(*move)
        blocks = [
            (conversation_id(self.number, Identity("tg", change.user)), change.blocked, change.at)
            for update in updates
            if (change := block_change(update)) is not None
        ]
        if blocks and self.blocked is not None:
            await self.blocked(blocks)
        items = [
            await self._addressed(item)
            for update in updates
            for item in inbound_from_update(update, self.client.bot_id)
        ]
        new = await self.ingest(items) if items else []
        for item in items:
            if item.callback:
                try:  # a spinner in the customer's app until the press is answered
                    await self.client.answer_callback(item.callback)
                except TelegramError as error:
                    log.info("callback %s not answered: %s", item.callback, error)
        return sum(new)

    async def _addressed(self, item: Inbound) -> Inbound:
        """A command naming this bot (``/stop@OurBot``) as the bare command, which is what
        it means here; one naming another bot stays as it came, and is no command of ours
        (in a group each bot takes those that name it and those that name none). The
        bot's own name is asked (getMe, once) only when a command names one; when
        Telegram cannot say, the command is taken as ours."""
        named = _NAMED_COMMAND.match(item.text)  # a text, or a file's caption
        if named is None:
            return item
        try:
            ours = await self.client.username()
        except TelegramError as error:
            log.warning("the bot's username is unknown, so %s is ours: %s", named[0], error)
            ours = named[2]
        if named[2].casefold() != ours.casefold():
            return item
        return replace(item, text=named[1] + item.text[named.end() :])

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll while holding the token's lease; wait for it otherwise (CH-3). In webhook
        mode, set the webhook the start could not, asking again after 1, 2, 4... 300 s,
        and say in the store, while this process runs, that one in webhook mode serves
        the bot: a poller of the same bot (a process of the old mode, while the mode is
        switched) leaves the webhook be."""
        if self.settings.mode != "polling":
            await self._serve_by_webhook(stopping)
            return
        ttl_ms = int(self.lease_ttl * 1000)
        while not stopping.is_set():
            try:
                await self._take_turn(ttl_ms, stopping)
            except StoreError:
                # The store down (a Redis restart), say: polling starts again once it is
                # back, rather than stop for good; said once every few seconds.
                log_failure(log, "Telegram polling failed; starting again")
                await _sleep(stopping, 1.0)
            except Exception as error:
                log.warning("Telegram polling failed (%s); starting again", error)
                await _sleep(stopping, 1.0)
        with contextlib.suppress(Exception):
            await self.leases.release(self.lease)

    async def _serve_by_webhook(self, stopping: asyncio.Event) -> None:
        wait, said = 1.0, False
        while not stopping.is_set():
            with contextlib.suppress(Exception):  # the store out of reach: said by its parts
                await self.leases.heartbeat(self._webhook_group, WEBHOOK_ALIVE_MS)
            if not self._webhook_set:
                await _sleep(stopping, wait)
                self._webhook_set = not stopping.is_set() and await self._set_webhook()
                wait = min(wait * 2, WEBHOOK_RETRY_CAP)
                continue
            if wait > 1.0 and not said:
                log.info("Telegram took the webhook %s", self._webhook_url)
                said = True
            await _sleep(stopping, WEBHOOK_BEAT)
        with contextlib.suppress(Exception):
            await self.leases.leave(self._webhook_group)

    async def _served_by_webhook(self, stopping: asyncio.Event) -> bool:
        """Whether a process in webhook mode serves the bot now: then this poller leaves
        its webhook be, and looks again a while later."""
        try:
            served = await self.leases.alive(self._webhook_group, WEBHOOK_ALIVE_MS) > 0
        except Exception:  # the store out of reach: the webhook is left as it is
            served = True
        if served != self._yielding:
            self._yielding = served
            if served:
                log.warning(
                    "a process in webhook mode (TELEGRAM_MODE=webhook) serves this Telegram "
                    "bot: this one, in polling mode, leaves its webhook be and does not poll "
                    "while it runs"
                )
        if served:
            await _sleep(stopping, WEBHOOK_BEAT)
        return served

    async def _take_turn(self, ttl_ms: int, stopping: asyncio.Event) -> None:
        """Poll while the lease is ours; wait a little when it is another's."""
        token = await self.leases.acquire(self.lease, ttl_ms)
        if token is None:
            self.polling = False
            await _sleep(stopping, self.lease_ttl / 4)
            return
        self.polling = True
        keeper = asyncio.create_task(self._keep_lease(token, ttl_ms, stopping))
        try:
            await self._poll(token, ttl_ms, stopping, keeper)
        finally:
            keeper.cancel()
            self.polling = False

    async def _keep_lease(self, token: int, ttl_ms: int, stopping: asyncio.Event) -> None:
        """Renew the lease while a long poll waits."""
        while not stopping.is_set():
            await _sleep(stopping, self.lease_ttl / 3)
            # Woken by the stop, which gives the lease up: nothing more to renew.
            if stopping.is_set() or not await self._holding(token, ttl_ms):
                return

    async def _holding(self, token: int, ttl_ms: int) -> bool:
        """Renew the lease; True only when it is still ours under ``token``, as of a moment ago."""
        while True:
            asked = time.monotonic()
            if not await self.leases.renew(self.lease, ttl_ms, token):
                log.warning("lost the Telegram polling lease; another process polls now")
                return False
            # Paused while asking (SIGSTOP, a stalled VM): the yes may be older than the
            # lease's time to live. Ask again rather than act on it.
            if time.monotonic() - asked < self.lease_ttl / 2:
                return True

    async def _poll(
        self, token: int, ttl_ms: int, stopping: asyncio.Event, keeper: asyncio.Task[None]
    ) -> None:
        offset = await self.offsets.get(self.lease)
        loop = asyncio.get_running_loop()
        looked_at = loop.time()
        failed = 0
        while not stopping.is_set() and not keeper.done():
            if offset and loop.time() - looked_at > OFFSET_LOOK_SECONDS:
                # Gone from the store six days after it last moved: after a week without
                # updates, Telegram may number the next one below it.
                offset, looked_at = await self.offsets.get(self.lease), loop.time()
            # Checked just before every getUpdates, not only by the keeper: a process paused
            # past its lease resumes here, and one more call would be handed the new
            # holder's updates and end the new holder's long poll with a 409.
            if not await self._holding(token, ttl_ms):
                return
            try:
                updates = await _unless_stopped(
                    stopping, self.client.get_updates(offset, POLL_TIMEOUT)
                )
            except TelegramConflictError as error:
                if error.webhook_set:  # left by a run in webhook mode: polling ends it
                    if not await self._served_by_webhook(stopping):
                        await self._end_webhook()
                    continue
                log.warning("Telegram says another poller is active: %s", error)
                await _sleep(stopping, self.lease_ttl / 2)
                continue
            except TelegramError as error:
                # 1, 2, 4... 60 s apart: a refusal that lasts (a revoked token) is said
                # about once a minute, not every second.
                failed += 1
                if error.code == "401":
                    log.error(REFUSED_TOKEN, "getUpdates")
                else:
                    log.warning("getUpdates failed: %s", error)
                wait = min(2.0 ** (failed - 1), POLL_RETRY_CAP)
                await _sleep(stopping, error.retry_after or wait)
                continue
            if updates is None:
                return  # the stop came first: the updates of the call, unconfirmed, come again
            failed = 0
            self.polls += 1
            if not updates:
                continue
            # Stored even if the lease was lost meanwhile: the log dedupes by message, and
            # the offset below is refused, so the new holder fetches them again.
            await self._store(updates)
            # Confirmed to Telegram (by the next call's offset) only once stored.
            latest = max(int(update["update_id"]) for update in updates) + 1
            advanced = await self.offsets.advance(self.lease, latest, token)
            if advanced is None:
                log.warning("lost the Telegram polling lease; its offset is not ours to move")
                return
            offset, looked_at = advanced, loop.time()

    async def _end_webhook(self) -> None:
        """Delete the webhook a run in webhook mode set, so that getUpdates works; the
        updates waiting for it are kept, and the next poll takes them."""
        log.warning("a webhook is set for this bot; deleting it, as TELEGRAM_MODE is polling")
        try:
            await self.client.delete_webhook()
        except TelegramError as error:
            log.warning("could not delete the webhook: %s", error)
            await asyncio.sleep(1.0)

    async def _store(self, updates: Sequence[Mapping[str, Any]]) -> None:
        """``accept`` the updates. When that fails other than by the store (a value no
        command can carry), they are taken one by one, and an update that cannot be
        stored at all is logged and left out: it must not hold back those after it. A
        store that fails raises, and the updates are fetched again."""
        try:
            await self.accept(updates)
        except StoreError:
            raise
        except Exception:
            if len(updates) > 1:
                for update in updates:
                    await self._store([update])
                return
            log.exception(
                "Telegram update %s cannot be stored; left out", updates[0].get("update_id")
            )

    @contextlib.asynccontextmanager
    async def turn(self, outbound: Outbound) -> AsyncIterator[None]:
        """Within the limits: ~30 a second per bot, 1 a second per chat, 20 a minute per
        group; the chat's turn lasts until its call is over. A customer's chat is sent to
        by one process (its conversation's shard has one worker); a group (the team chat)
        is posted to by any, so its limits are kept by them all together, in Redis."""
        chat = outbound.recipient.value
        group = chat.startswith("-")
        async with self.spacing.turn(chat, CHAT_INTERVAL, GROUP_PER_MINUTE if group else None):
            if group:
                key = f"{self.lease}:group:{chat}"
                delay = await self.rate.reserve_in_window(key, CHAT_INTERVAL, GROUP_PER_MINUTE, 60)
                if delay > 0:
                    await asyncio.sleep(delay)
            await self.rate.wait(self.lease, BULK_PER_SECOND)
            yield

    async def deliver(self, outbound: Outbound) -> str:
        """Send as the bot; a 429's retry_after goes back to the sender's retry."""
        try:
            if outbound.media:
                return await self._send_file(outbound.recipient.value, outbound.media)
            return await self.client.send_text(
                outbound.recipient.value, outbound.text, outbound.buttons, outbound.reply_to
            )
        except TelegramError as error:
            if error.moved_to:
                raise ChatMovedError(f"Telegram: {error}", error.moved_to) from None
            raise SendFailedError(
                f"Telegram: {error}",
                retryable=error.retryable,
                retry_after=error.retry_after,
                unsent=error.unsent,
                code=error.code,
            ) from None

    async def _send_file(self, chat: str, media: dict[str, str]) -> str:
        """A file as Telegram's own message of its kind: uploaded when it was uploaded here
        (no public URL of ours needs to be reachable from Telegram), named as the reply
        names it, else as it was uploaded; else by its URL, which Telegram names the file
        by (the Bot API takes no name for a file it fetches)."""
        source: str | FileUpload = media.get("link", "")
        upload = media.get("upload")
        if upload:
            found = await self.media.load(upload) if self.media else None
            if found is None:
                raise SendFailedError(f"the file {upload} has expired", retryable=False)
            record, data = found
            extension = mimetypes.guess_extension(record.content_type) or ".bin"
            name = media.get("filename") or record.filename or f"file{extension}"
            source = FileUpload(data, name)
        return await self.client.send_file(chat, media["kind"], source, media.get("caption", ""))


async def _unless_stopped(stopping: asyncio.Event, call: Awaitable[T]) -> T | None:
    """``await call``, or None when the runtime stops first: a long poll is cut then, not
    waited out (Telegram hands what it would have answered to the next getUpdates)."""
    answer = asyncio.ensure_future(call)
    stopped = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait((answer, stopped), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not answer.done():  # the stop came first, or this wait itself was cancelled
            answer.cancel()
    if answer.done():
        return answer.result()
    await asyncio.gather(answer, return_exceptions=True)  # its connection let go of
    return None


async def _sleep(stopping: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less when the runtime stops."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
