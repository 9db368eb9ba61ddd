"""Notifications, their runs, audiences, the scheduler, cron and workflows."""
