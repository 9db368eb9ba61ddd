"""The narrow view a handler gets of one inbound message: read it, and say what to answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.model import Inbound


@dataclass(slots=True)
class Context:
    """One message as a handler sees it; replies collect here and the pipeline sends them."""

    message: Inbound
    first_contact: bool
    """True for the customer's first message to this number."""
    now: float = 0.0
    """When the message is handled (unix seconds): business hours are judged by it."""
    last_auto_reply: float | None = None
    """When this contact last got an automated answer, if ever."""
    may_fall_back: bool = False
    """Whether the fallback answer may go if nothing else answers: the customer has not
    opted out, nobody holds the conversation, and no person answered lately."""
    fell_back: bool = False
    """Set when the answer is the fallback, so that its time is kept."""
    replies: list[str] = field(default_factory=list)

    def reply(self, text: str) -> None:
        self.replies.append(text)
