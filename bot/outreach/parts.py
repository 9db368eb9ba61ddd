"""What the runtime holds of outreach: the three parts the API, the commands and the CLI use."""

from __future__ import annotations

from dataclasses import dataclass

from bot.outreach.notifications import Notifications
from bot.outreach.scheduler import Scheduler
from bot.outreach.sequence_reports import SequenceReports
from bot.outreach.sequences import Sequences
from bot.outreach.workflows import Workflows


@dataclass(frozen=True, slots=True)
class Outreach:
    """The business writing first: notifications (AU-4), workflow-triggered messages
    (AU-3), drip sequences, and the scheduler that runs them under a lease."""

    notifications: Notifications
    workflows: Workflows
    scheduler: Scheduler
    sequences: Sequences
    """Drip sequences: enrolments, the stop rules, and each tick's due steps."""
    sequence_reports: SequenceReports
