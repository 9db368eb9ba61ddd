"""What a service may see of an event: the content of other services' replies is masked
for a service that asks for it (SN-3, SN-4), and nothing of an erased person's content
is left in an event still on its way (PS-7)."""

from __future__ import annotations

import json
from typing import Any

from bot.model import AUTOMATION_SERVICE, Service, compact_json, parse_json
from stores.conversations import ERASURE_KEEPS

# What a masking service may learn of another service's reply: that it happened, by whom,
# when and where (SN-3). A whitelist, so a field added later is hidden until allowed here:
# a reply carrying a place, a contact card or a reaction would lose them too. Customers'
# messages, with their places, cards and reactions, go to every service in full (SN-2).
MASKED_FIELDS = (
    "id",
    "direction",
    "conversation_id",
    "channel",
    "number",
    "service",
    "agent",
    "kind",
    "timestamp",
    "status",
    "provider_id",
    "customer",
    "profile",
)


def hides(viewer: Service, message: dict[str, Any]) -> bool:
    """Whether ``viewer`` must not see the content of an outbound message (SN-3, SN-4).

    The runtime's own automation is not masked: its words are the configured ones, and the
    services on the number need them to follow the conversation.
    """
    return viewer.mask and message.get("service") not in (viewer.name, AUTOMATION_SERVICE)


CAMPAIGN_WORDS = ("text", "template")
"""What a campaign says: hidden, as its sends are, from a service that masks its sender's."""


def masked_campaign(viewer: Service, shown: dict[str, Any]) -> dict[str, Any]:
    """A campaign as ``viewer`` may see it (its report, or a recipient's line of it): its
    words (text, template and its values, in its last review too) left out when its
    sends are masked for ``viewer``, another service's (SN-3)."""
    if not hides(viewer, shown):
        return shown
    kept = {key: value for key, value in shown.items() if key not in CAMPAIGN_WORDS}
    if isinstance(kept.get("review"), dict):  # the last review holds the words as reviewed
        kept["review"] = {k: v for k, v in kept["review"].items() if k not in CAMPAIGN_WORDS}
    return kept | {"masked": True}


def masked(message: dict[str, Any]) -> dict[str, Any]:
    """Who sent a message, from which service and when; no text, media or caption."""
    return {key: message[key] for key in MASKED_FIELDS if key in message} | {"masked": True}


def render(service: Service, event_json: str) -> bytes:
    """The body ``service`` receives for an event, with other services' content masked."""
    if service.mask and '"message.outbound"' in event_json:
        event = parse_json(event_json)
        if event["type"] == "message.outbound" and hides(service, event["data"]):
            event["data"] = masked(event["data"])
            return compact_json(event).encode()
    return event_json.encode()


# What an event about a message keeps once its person is erased: that it happened, where,
# when and by whom, as the stripped timeline does. A whitelist, like MASKED_FIELDS.
ERASED_EVENT_FIELDS = (
    "conversation_id",
    "profile",
    "channel",
    "number",
    "message_id",
    "provider_id",
    "status",
    "error_code",
    "timestamp",
    *ERASURE_KEEPS,
)
_BLANKS = {"customer": "erased", "name": "", "error": ""}
_PERSONAL_EVENTS = ("message.inbound", "message.outbound", "message.status", "profile.merged")


def erased(event_json: str, profiles: frozenset[str], conversations: frozenset[str]) -> str | None:
    """The event without the content of the erased person (of ``profiles``, with
    ``conversations``), marked erased; None when it is not about them, or stripped already.

    A message keeps what the stripped timeline keeps, and the event keeps its shape: the
    customer reads ``erased``, a name, a provider's error and a merge's identities are
    emptied.
    """
    event = json.loads(event_json)
    data = event.get("data")
    if event.get("type") not in _PERSONAL_EVENTS or not isinstance(data, dict):
        return None
    about = {data.get("conversation_id"), data.get("profile"), data.get("merged")}
    if data.get("erased") is True or not about & (profiles | conversations):
        return None
    if event["type"] == "profile.merged":
        event["data"] = data | {"identities": [], "erased": True}
    else:
        event["data"] = without_person(data)
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def without_person(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data about a message, once its person is erased: what the stripped
    timeline keeps, the customer ``erased``, a name and a provider's error empty."""
    kept = {key: data[key] for key in ERASED_EVENT_FIELDS if key in data}
    kept |= {key: blank for key, blank in _BLANKS.items() if key in data}
    if isinstance(data.get("message"), dict):
        message = data["message"]
        kept["message"] = {k: message[k] for k in ERASURE_KEEPS if k in message}
        kept["message"]["erased"] = True
    return kept | {"erased": True}
