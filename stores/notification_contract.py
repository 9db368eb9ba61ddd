"""The notification store's contract (``stores.notifications.NotificationStore``
implements it): records, the schedule, and each run's recipients, counters and statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from stores.redis import Pipe


class BaseNotificationStore(Protocol):
    """Notification records, the schedule of their runs, and each run's recipients."""

    async def create(
        self,
        nid: str,
        record: dict[str, str],
        entries: Sequence[str],
        *,
        due_at: float | None,
        run: int,
    ) -> bool:
        """Store a new notification and schedule its first run; False if it exists."""

    async def record(self, nid: str) -> dict[str, str]:
        """The notification's record; {} when unknown."""

    async def status(self, nid: str) -> str:
        """The notification's status; '' when unknown."""

    def queue_read_status(self, pipe: Pipe, nid: str) -> None:
        """Queue a read of the notification's status (its answer: the status, or None)."""

    async def update(self, nid: str, **fields: str) -> None:
        """Overwrite fields of the record."""

    async def due(self, now: float, limit: int = 20) -> list[tuple[str, int, float]]:
        """Runs whose time has come: (notification, run, when)."""

    async def next_due(self) -> float | None:
        """When the first run on the schedule is due (Unix seconds); None when none is."""

    async def scheduled_count(self) -> int:
        """How many runs are on the schedule (due now or later)."""

    async def listen(self, changed: Callable[[], None], ready: asyncio.Event) -> None:
        """Call ``changed`` whenever a run is put on the schedule, by any process, until
        cancelled; ``ready`` is set once listening."""

    async def schedule(self, nid: str, run: int, at: float) -> None:
        """Put a run on the schedule for ``at`` (or move it there)."""

    async def undraft(self, nid: str) -> None:
        """A draft was sent (and is on the schedule now) or cancelled."""

    async def unschedule(self, nid: str, run: int) -> None:
        """Take a run off the schedule."""

    async def scheduled(self, nid: str) -> list[tuple[int, float]]:
        """The runs of ``nid`` still on the schedule, with when (a scan: admin use)."""

    async def fail_run(self, nid: str, run: int, error: str, at: float) -> int:
        """Count a failed attempt at a run, keeping its error; the attempts so far."""

    async def postpone(self, nid: str, run: int, at: float) -> None:
        """Move a run still on the schedule to ``at``; one taken off it stays off."""

    async def set_aside(self, nid: str, run: int, at: float) -> None:
        """Take a run that failed every attempt off the schedule, marked failed, into the
        dead letters."""

    async def set_aside_runs(self) -> list[tuple[str, int, float]]:
        """The runs set aside: (notification, run, when), the oldest first."""

    async def set_aside_count(self) -> int:
        """How many runs are set aside."""

    async def revive(self, nid: str, run: int, at: float) -> None:
        """Put a run set aside back on the schedule for ``at``, its failures forgotten."""

    async def of_number(self, number: str, limit: int = 1000) -> list[str]:
        """The number's notifications, the newest first."""

    async def start_run(self, nid: str, run: int, now: float) -> tuple[bool, dict[str, str]]:
        """Mark a run started (once); whether it is new, and its state."""

    async def run_meta(self, nid: str, run: int) -> dict[str, str]:
        """A run's counters and progress; {} when it never started."""

    async def runs(self, nid: str) -> list[int]:
        """The runs of a notification that started, in order."""

    async def runs_meta(self, pairs: Sequence[tuple[str, int]]) -> list[dict[str, str]]:
        """``run_meta`` of each (notification, run), in one round trip."""

    async def runs_of(self, nids: Sequence[str]) -> list[list[int]]:
        """``runs`` of each notification, in one round trip."""

    async def set_run(self, nid: str, run: int, **fields: str | int | float) -> None:
        """Overwrite fields of a run's state."""

    async def snapshot(self, nid: str, run: int, source: str) -> int:
        """Copy a number's conversations (the sorted set ``source``) into the run's audience."""

    async def listed_total(self, nid: str) -> int:
        """How many entries the listed audience has."""

    async def frozen_total(self, nid: str) -> int:
        """How many entries the frozen (reviewed) audience has."""

    async def entries(
        self, nid: str, run: int, listed: bool, start: int, count: int, *, frozen: bool = False
    ) -> list[str]:
        """``count`` audience entries from ``start``: the frozen ones (``frozen``), the
        listed ones, or the run's copy."""

    def queue_claim(
        self,
        pipe: Pipe,
        nid: str,
        run: int,
        key: str,
        state: str,
        kind: str,
        *,
        fence: int,
        until: float = 0.0,
        resume: bool = False,
        send_id: str = "",
        at: float = 0.0,
    ) -> None:
        """Claim a recipient once: queued (findable by ``send_id``), deferred, or skipped
        for a reason (listed as skipped since ``at``)."""

    def queue_progress(self, pipe: Pipe, nid: str, run: int, cursor: int) -> None:
        """Note how far through its audience a run got."""

    def queue_undefer(self, pipe: Pipe, nid: str, run: int, keys: Iterable[str]) -> None:
        """Take resumed recipients off the run's deferred ones."""

    async def deferred_due(
        self, nid: str, run: int, now: float, limit: int
    ) -> list[tuple[str, str]]:
        """Deferred recipients whose time has come, with their states."""

    async def next_deferred(self, nid: str, run: int) -> float | None:
        """When the next deferred recipient may go; None when none is waiting."""

    async def finish_run(self, nid: str, run: int, now: float) -> None:
        """The run queued everyone: keep its recipients and statuses for late receipts."""

    def queue_status(
        self,
        pipe: Pipe,
        nid: str,
        run: int,
        send_id: str,
        status: str,
        *,
        at: float = 0.0,
        code: str = "",
    ) -> None:
        """A send's outcome or receipt, counted once per level it reaches; its recipient
        is listed under each outcome it reached (a failure with the provider's ``code``)."""

    async def recipients(self, nid: str, run: int) -> list[tuple[str, str]]:
        """Every recipient of a run with its state."""

    async def statuses(self, nid: str, run: int) -> dict[str, str]:
        """Each send of a run with the furthest status it reached."""
