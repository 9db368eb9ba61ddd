"""``admin notify-review`` (and ``/notify review``) began with ``reviewed, reviewed <date>``:
the draft's status, then when it was reviewed. It says ``reviewed <date>`` once, and
the status after it only when it is another (sent, cancelled)."""

from __future__ import annotations

from typing import Any

from handlers.notify_commands import describe_review

REVIEW: dict[str, Any] = {
    "id": "ntf_1",
    "number": "wa:1",
    "status": "reviewed",
    "reviewed_at": 1796400000.0,
    "recipients": 2,
    "eligible": 1,
    "deferred": 0,
    "skipped": {"opted_out": 1},
    "topic_conflicts": {},
    "cost": {"currency": "GBP", "amount": 0.0, "by_country": {}},
}


def test_reviewed_is_said_once() -> None:
    first = describe_review(REVIEW).splitlines()[0]
    assert first.startswith("ntf_1 (wa:1): reviewed ") and first.count("reviewed") == 1
    sent = describe_review(REVIEW | {"status": "sent"}).splitlines()[0]
    assert sent.startswith("ntf_1 (wa:1): reviewed ") and sent.endswith(", sent")
