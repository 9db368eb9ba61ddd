"""The business writing first: notifications (AU-4), workflow-triggered messages (AU-3),
the cost ledger (AU-5) and the scheduler, assembled for the runtime in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config.settings import Settings
from bot.core.sender import Sender
from bot.outreach.audience import Audience
from bot.outreach.notifications import Notifications
from bot.outreach.runs import Runs
from bot.outreach.scheduler import Scheduler
from bot.outreach.workflows import Workflows
from stores.audience import AudienceReader
from stores.costs import CostLedger
from stores.leases import Leases
from stores.notifications import NotificationStore
from stores.profiles import ProfileStore


@dataclass(frozen=True, slots=True)
class Outreach:
    """What the runtime holds of it: the three the API, commands and CLI use."""

    notifications: Notifications
    workflows: Workflows
    scheduler: Scheduler


def build_outreach(
    settings: Settings,
    store: NotificationStore,
    ledger: CostLedger,
    profiles: ProfileStore,
    sender: Sender,
    leases: Leases,
    shard_of: Callable[[str], int],
) -> Outreach:
    """Build the parts, and let the sender tell the notifications what became of sends."""
    reader = AudienceReader(profiles)
    audience = Audience(reader, settings.notifications, settings.rate_card, settings.default_region)
    runs = Runs(store, audience, sender, ledger, leases, profiles, settings.notifications, shard_of)
    scheduler = Scheduler(store, runs, leases)
    notifications = Notifications(
        store, runs, ledger, reader, settings.notifications, settings.rate_card, scheduler.wake
    )
    sender.outcomes = notifications
    workflows = Workflows(settings.workflows, notifications, settings.default_region)
    return Outreach(notifications, workflows, scheduler)
