"""What a service may see of an event: the content of other services' replies is masked
for a service that asks for it (SN-3, SN-4)."""

from __future__ import annotations

import json
from typing import Any

from bot.model import AUTOMATION_SERVICE, Service

# What a masking service may learn of another service's reply: that it happened, by whom,
# when and where (SN-3). A whitelist, so a field added later is hidden until allowed here.
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


def masked(message: dict[str, Any]) -> dict[str, Any]:
    """Who sent a message, from which service and when; no text, media or caption."""
    return {key: message[key] for key in MASKED_FIELDS if key in message} | {"masked": True}


def render(service: Service, event_json: str) -> bytes:
    """The body ``service`` receives for an event, with other services' content masked."""
    if service.mask and '"message.outbound"' in event_json:
        event = json.loads(event_json)
        if event["type"] == "message.outbound" and hides(service, event["data"]):
            event["data"] = masked(event["data"])
            return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    return event_json.encode()
