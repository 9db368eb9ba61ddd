"""The team's Telegram chat (OPS-1, OPS-3): a subscribed service that sees each new
customer message as a post, where replying to a post answers that customer, and where
slash commands run. A team member's private chat with the bot takes commands too.

Posts are plain text, never parsed as Markdown or HTML, so nothing a customer writes
can format, link or hide itself in the team's chat.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import logging
from collections.abc import Sequence
from typing import Any

from adapters.webhooks import Refusal
from bot.channels.telegram import ChatMovedError, TelegramChannel
from bot.core.retry import retrying
from bot.core.sender import SendFailedError, send_backoff
from bot.model import Identity, Inbound, Outbound, Service, derived_id, indented
from bot.team.desk import TeamDesk, shown_content
from bot.team.roles import TeamRoster
from handlers.command_kit import shown_identity
from handlers.commands import Commands
from handlers.ports import Caller
from stores.redis import is_store_fault
from stores.team import TeamPostStore

log = logging.getLogger(__name__)

FILE_REFUSED = (
    "Not sent: a file cannot go to the customer from the team chat. Reply with text, or "
    "send the file with the API (POST /v1/conversations/{conversation}/messages, media)."
)
NOT_TEXT_REFUSED = (
    "Not sent: a {kind} cannot go to the customer from the team chat. Reply with text."
)
NOT_A_POST = (
    "Not sent: that message is not a customer's post (or is too old to be known). Reply "
    "to the post of the customer's message, or send /reply <conversation> <text>."
)
EDIT_NOT_RUN = "Not run: an edited command is not run again; send it again as a new message."
CAPTION_REFUSED = (
    "Not run: a command goes as text, not as a file's caption; a file cannot go to the "
    "customer from the team chat (send it with the API: POST /v1/conversations/"
    "{conversation}/messages, media)."
)
ANSWER_ATTEMPTS = 5
"""Tries at posting a command's answer that Telegram refuses for now (429, 5xx, out of
reach), or that the store cannot pace (out of reach), each after its ``retry_after`` or
a backoff."""

SERVICE = "team"
PREVIEW = 1000
"""Characters of a customer's message shown in a post."""
POST = 4096
"""Telegram's limit on a message's text, in characters."""
MAX_WAITING_ANSWERS = 1000
"""Answers to commands waiting for their turn in the team chat, at most; past it, the
oldest are dropped, and the log says so."""


def team_service() -> Service:
    """The team chat as a service on every number: it sees everything, unmasked."""
    return Service(SERVICE, f"local:{SERVICE}", secret="local", mask=False)


class TeamChat:
    """Posts new customer messages to the team chat; takes replies and commands there."""

    def __init__(
        self,
        chat_id: str,
        channel: TelegramChannel,
        posts: TeamPostStore,
        commands: Commands,
        roster: TeamRoster,
        desk: TeamDesk,
    ) -> None:
        self.configured = chat_id
        """TELEGRAM_TEAM_CHAT_ID, which Telegram may have moved (``chat_id`` follows)."""
        self.chat_id = chat_id
        self._looked = False
        """Whether the store was asked where the configured chat moved."""
        self.channel = channel
        self.posts = posts
        self.commands = commands
        self.roster = roster
        self.desk = desk
        """Who of the team made a send that failed."""
        self._answers: dict[str, collections.deque[tuple[str, str, str]]] = {}
        """By chat: (text, the command's post, the post's key) waiting to be posted."""
        self._posters: dict[str, asyncio.Task[None]] = {}
        """By chat: the task posting its answers, at its own pace."""
        self._running: set[asyncio.Task[None]] = set()
        """Commands under way, each in a task of its own, which its shard's worker may leave."""

    async def split(self, messages: Sequence[Inbound]) -> tuple[list[Inbound], list[Inbound]]:
        """(the team's messages, the customers'): the team chat's, and commands a team
        member sends the bot in private."""
        team: list[Inbound] = []
        customers: list[Inbound] = []
        for message in messages:
            ours = message.channel == "telegram" and message.number == self.channel.number
            if ours and message.chat.startswith("-") and message.chat != self.chat_id:
                await self._follow(again=True)  # a group: the team's, moved by another process?
            if ours and message.chat == self.chat_id:
                team.append(message)
            elif (
                ours
                and message.text.startswith("/")
                and message.chat == message.sender.value
                and await self.roster.caller_for_telegram(message.sender.value) is not None
            ):
                team.append(message)
            else:
                customers.append(message)
        return team, customers

    async def handle(self, message: Inbound) -> None:
        """A reply to a post answers its customer; a command runs; chatter is left be."""
        text = message.text.strip()
        if message.edit_of:
            # An edit runs nothing (the command ran as first sent); a command's edit is
            # told so, once for each edit, as the member expects it to run.
            first = text.split(maxsplit=1)[0] if text else ""
            if first.startswith("/") and "@" not in first:
                self._answer(message.chat, EDIT_NOT_RUN, message.edit_of, message.provider_id)
            return
        refusal = ""
        if not text.startswith("/"):
            conversation = message.reply_to and await self.posts.conversation(message.reply_to)
            if not conversation:
                if message.reply_to_ours:  # meant for a customer: nobody got it
                    self._answer(message.chat, NOT_A_POST, message.provider_id, message.provider_id)
                return  # chatter among the team
            if message.media is not None:  # its caption alone would say "here is the form"
                refusal = FILE_REFUSED.format(conversation=conversation)
            elif message.kind != "text" or not text:  # a sticker, a place, a contact
                refusal = NOT_TEXT_REFUSED.format(kind=message.kind)
            text = f"/reply {conversation} {message.text}"
        elif "@" in text.split(maxsplit=1)[0]:
            return  # a command the channel found naming another bot (/help@OtherBot)
        elif message.media is not None:  # "/reply c_… here is the form" as a caption
            refusal = CAPTION_REFUSED
        elif message.reply_to and (conversation := await self.posts.conversation(message.reply_to)):
            # In reply to a customer's post, a command acts on its conversation.
            text = self.commands.about(text, conversation)
        source = f"tg:{message.sender.value}"
        caller = await self.roster.caller_for_telegram(message.sender.value)
        if refusal:
            # Who may not run the command is told so first (and it is audited, OPS-2).
            refusal = await self.commands.refusal(caller, text, source=source) or refusal
            self._answer(message.chat, refusal, message.provider_id, message.provider_id)
            return
        # Run once: a batch redone after a crash must not send the customer a reply again.
        if not await self.posts.first_run(message.provider_id):
            log.info("team message %s ran before its batch was redone", message.provider_id)
            return
        # In a task of its own: a command that waits the store out, its shard's worker
        # cancelled meanwhile (its lease not renewed), still ends and is answered; the
        # batch redone skips it.
        running = asyncio.create_task(self._run(message, caller, text, source))
        self._running.add(running)
        running.add_done_callback(self._running.discard)
        await asyncio.shield(running)

    async def _run(self, message: Inbound, caller: Caller | None, text: str, source: str) -> None:
        try:
            answer = await self.commands.run(caller, text, source=source)
        except BaseException:
            with contextlib.suppress(Exception):
                await self.posts.not_run(message.provider_id)
            raise
        # A long answer (/inbox 50, a day of notes) goes in several posts, in order: one
        # past Telegram's limit would be refused whole, and the team would see nothing.
        for n, piece in enumerate(pieces(answer)):
            key = message.provider_id if n == 0 else f"{message.provider_id}:{n}"
            self._answer(message.chat, piece, message.provider_id, key)

    def _answer(self, chat: str, text: str, reply_to: str, key: str) -> None:
        """Post an answer in its turn, after those before it in its chat. The command has
        run; its answer waits for the chat's pace (a group takes 20 posts a minute) in a
        task of its own, not in the shard's worker, where every customer of the shard
        would wait with it (REL-2); a team member's private chat does not wait for the
        group's pace."""
        if sum(len(waiting) for waiting in self._answers.values()) >= MAX_WAITING_ANSWERS:
            longest = max(self._answers.values(), key=len)
            dropped = longest.popleft()
            log.warning("the team chat is behind: the answer to %s is not posted", dropped[1])
        self._answers.setdefault(chat, collections.deque()).append((text, reply_to, key))
        poster = self._posters.get(chat)
        if poster is None or poster.done():
            self._posters[chat] = asyncio.create_task(self._post_answers(chat))

    async def _post_answers(self, chat: str) -> None:
        waiting = self._answers.get(chat)
        while waiting:
            text, reply_to, key = waiting.popleft()
            post = functools.partial(self._post, chat, text, reply_to=reply_to, key=key)
            try:  # a 429, an API or a store briefly out of reach passes: the answer is not lost
                await retrying(post, attempts=ANSWER_ATTEMPTS, backoff=answer_backoff)
            except Exception as error:
                if not is_store_fault(error):
                    log.exception("the answer to %s could not be posted to the team chat", reply_to)
                else:  # its turn in the chat's pace is kept in Redis
                    log.warning(
                        "the answer to %s could not be posted to the team chat: the store "
                        "failed (%s)",
                        reply_to,
                        type(error).__name__,
                    )
        self._answers.pop(chat, None)
        self._posters.pop(chat, None)

    async def drain(self, grace: float) -> None:
        """Finish the commands under way and post the answers waiting, for at most
        ``grace`` seconds (a graceful stop)."""
        started = asyncio.get_running_loop().time()
        if self._running:
            await asyncio.wait(list(self._running), timeout=grace)
        grace = max(0.0, grace - (asyncio.get_running_loop().time() - started))
        posters = [poster for poster in self._posters.values() if not poster.done()]
        if posters:
            _, pending = await asyncio.wait(posters, timeout=grace)
            if pending:
                left = sum(len(waiting) for waiting in self._answers.values())
                log.warning("%d team chat answers not posted at the stop", left)
                for poster in pending:
                    poster.cancel()
                await asyncio.wait(pending)

    async def deliver(self, body: bytes) -> str:
        """The fan-out's local receiver: '' once posted, else why not (retried later)."""
        event = json.loads(body)
        data = event.get("data") or {}
        if event.get("type") == "message.status" and data.get("status") == "failed":
            return await self._failed(event["id"], data)
        if event.get("type") != "message.inbound" or data.get("message", {}).get("edited"):
            return ""
        content = shown_content(data["message"])
        if len(content) > PREVIEW:
            content = content[:PREVIEW] + "…"
        who = data.get("name") or await self.desk.profile_name(str(data.get("profile") or ""))
        who = who or shown_identity(str(data.get("customer", "a customer")))
        post = (
            f"{who} on {data.get('channel', '?')} · {data['conversation_id']}\n"
            f"{indented(content)}\n"  # no line of theirs reads as a post's own
            "(reply to this message to answer them)"
        )
        return await self._delivered(data["conversation_id"], post, key=event["id"])

    async def _failed(self, key: str, data: dict[str, Any]) -> str:
        """A send of the team's failed: its team member hears of it in the team chat,
        where they were told it was sent."""
        cid, send_id = str(data.get("conversation_id", "")), str(data.get("message_id", ""))
        agent = await self.desk.team_sender(cid, send_id) if cid and send_id else None
        if agent is None:
            return ""
        who = shown_identity(str(data.get("customer", "a customer")))
        post = (
            f"Not delivered: {agent}'s reply to {who} on {data.get('channel', '?')} · {cid} "
            f"({send_id})\n{str(data.get('error') or 'the channel refused it')[:PREVIEW]}"
        )
        return await self._delivered(cid, post, key=key)

    async def _delivered(self, conversation_id: str, post: str, *, key: str) -> str:
        """``post_about`` for the fan-out's receiver: '' once posted, else why not."""
        try:
            await self.post_about(conversation_id, post, key=key)
        except Exception as error:  # the fan-out retries, after Telegram's retry_after
            wait = error.retry_after if isinstance(error, SendFailedError) else None
            return Refusal(f"team chat post failed: {error}", wait)
        return ""

    async def post_about(self, conversation_id: str, text: str, *, key: str) -> None:
        """Post to the team chat about a conversation; replying to the post answers its
        customer. ``key`` makes the post's send id, so a retry is the same post."""
        await self._follow()
        sent = await self._post(self.chat_id, text, key=key)
        await self.posts.remember(sent, conversation_id)

    async def moved(self, chat: str, to: str) -> None:
        """Telegram made the team's group ``chat`` a supergroup, ``to``: the team chat is
        there from now on, for every process and the next start, though
        TELEGRAM_TEAM_CHAT_ID still names the group."""
        if chat not in (self.chat_id, self.configured) or to == self.chat_id:
            return
        await self.posts.move(self.configured, to)
        self.chat_id = to
        log.warning(
            "the team chat %s became the supergroup %s, where it is now: "
            "set TELEGRAM_TEAM_CHAT_ID=%s",
            chat,
            to,
            to,
        )

    async def _follow(self, *, again: bool = False) -> None:
        """Take up the move of the configured chat another process (or an earlier run)
        heard of; the store is asked once, and ``again`` when a group's message may be
        from where the team chat moved."""
        if self._looked and not again:
            return
        to = await self.posts.moved_to(self.configured)
        self._looked = True
        if to is not None and to != self.chat_id:
            log.info("the team chat %s is the supergroup %s now", self.configured, to)
            self.chat_id = to

    async def _post(self, chat: str, text: str, *, key: str, reply_to: str = "") -> str:
        try:
            return await self._post_once(chat, text, key=key, reply_to=reply_to)
        except ChatMovedError as moved:
            if chat not in (self.chat_id, self.configured):
                raise
            await self.moved(chat, moved.chat)
            return await self._post_once(moved.chat, text, key=key, reply_to="")

    async def _post_once(self, chat: str, text: str, *, key: str, reply_to: str) -> str:
        outbound = Outbound(
            send_id=derived_id("team", key),
            conversation_id="",
            channel="telegram",
            number=self.channel.number,
            recipient=Identity("tg", chat),
            text=text,
            service=SERVICE,
            reply_to=reply_to,
        )
        async with self.channel.turn(outbound):  # the group's 20 a minute (CH-6)
            return await self.channel.deliver(outbound)


def answer_backoff(error: Exception, attempt: int) -> float | None:
    """``send_backoff``, and for the store out of reach (the chat's pace is kept there)
    0.5, 1, 2... s."""
    wait = send_backoff(error, attempt)
    if wait is None and is_store_fault(error):
        return 0.5 * 2**attempt
    return wait


def pieces(text: str, limit: int = POST) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut after a line where a line
    ends within the last half of a piece, else where the limit falls."""
    found = []
    while len(text) > limit:
        cut = text.rfind("\n", limit // 2, limit) + 1 or limit
        found.append(text[:cut].rstrip("\n"))
        text = text[cut:]
    return [*found, text]
