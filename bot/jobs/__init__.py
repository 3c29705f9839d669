"""Scheduled work on PTB's JobQueue: daily reminders, parents'/teachers' summaries, and the
daily clean-up of rows that no longer count.

Each bot process runs its own jobs; every send is claimed in the ``deliveries`` ledger first
(``delivery.py``), so two processes or a restart never send anything twice.
"""

from __future__ import annotations

from telegram.ext import Application

from bot.config import Settings
from bot.jobs.housekeeping import register_housekeeping_job
from bot.jobs.reminders import register_reminder_job
from bot.jobs.summaries import register_summary_job


def register_jobs(app: Application, settings: Settings) -> None:
    """Register every periodic job of the bot (each runs soon after start)."""
    register_reminder_job(app, settings)
    register_summary_job(app)
    register_housekeeping_job(app)
