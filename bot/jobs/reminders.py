"""JobQueue callbacks: the periodic reminder run, and the fan-out it performs.

APScheduler keeps its jobs in memory and each bot process runs its own, so the job only asks
the database what is due; every send is claimed in the ``deliveries`` ledger first, which is
what keeps two processes (or a restarted one) from reminding anybody twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterator

from telegram.ext import Application

from bot.config import Settings
from bot.context import BotContext
from bot.jobs.delivery import FanoutResult, deliver_once, worker_name
from bot.jobs.sender import RateLimitedSender
from bot.keyboards import practice_keyboard
from bot.services import deliveries, reminders
from bot.services.deps import Deps
from bot.services.reminders import DueReminder
from bot.texts import t, tn

logger = logging.getLogger(__name__)

# Sends in progress at once; the sender spaces them out, this only bounds the waiting tasks.
CONCURRENCY = 10
# Reminders are taken from a fresh due list every CHUNK sends, so a student who finishes
# practising during a long fan-out is not reminded a few minutes later.
CHUNK = 250
FIRST_RUN_AFTER = 10.0


def reminder_text(due: DueReminder, *, count: int) -> str:
    """The reminder in the student's language: the streak warning when today decides it."""
    if due.streak_at_risk:
        return t(due.language, "reminder_streak", name=due.name, current=due.streak_current)
    return tn(due.language, "reminder", count, name=due.name)


async def _remind(
    deps: Deps,
    sender: RateLimitedSender,
    due: DueReminder,
    *,
    worker: str,
    stale_after: dt.timedelta,
) -> str:
    """Claim, send and record one reminder; returns which FanoutResult count it adds to."""

    async def text() -> str:
        return reminder_text(due, count=deps.settings.problems_per_session)

    async def blocked() -> None:
        await reminders.mark_unreachable(deps.db, student_id=due.student_id)

    outcome = await deliver_once(
        deps,
        sender,
        kind=reminders.KIND,
        chat_id=due.telegram_id,
        period=due.period,
        student_id=due.student_id,
        worker=worker,
        text=text,
        on_blocked=blocked,
        reply_markup=practice_keyboard(due.language),
        stale_after=stale_after,
    )
    return "skipped_already_claimed" if outcome == "skipped" else outcome


async def send_due_reminders(
    deps: Deps,
    sender: RateLimitedSender,
    *,
    worker: str,
    stale_after: dt.timedelta = deliveries.STALE_AFTER,
    concurrency: int = CONCURRENCY,
    keep_going: Callable[[], bool] = lambda: True,
) -> FanoutResult:
    """Remind every student who is due now, each at most once today; one failure stops nothing.

    When ``keep_going()`` turns False (the bot is shutting down) no further reminder is
    claimed; those already claimed finish, and the rest are left for the next run.
    """
    counts = {"sent": 0, "blocked": 0, "failed": 0, "skipped_already_claimed": 0}
    tried: set[int] = set()
    while keep_going():
        due = [
            d
            for d in await reminders.due_reminders(deps.db, now=deps.clock())
            if d.student_id not in tried
        ][:CHUNK]
        if not due:
            break
        tried.update(d.student_id for d in due)
        queue = iter(due)

        async def work(queue: Iterator[DueReminder] = queue) -> None:
            for item in queue:  # the workers share one iterator: each item is taken once
                if not keep_going():
                    return
                try:
                    outcome = await _remind(
                        deps, sender, item, worker=worker, stale_after=stale_after
                    )
                except Exception as exc:
                    # Most likely the database; the claim (if any) is retried once stale.
                    logger.warning("a reminder failed (%s)", type(exc).__name__)
                    logger.debug("a reminder failed", exc_info=True)
                    outcome = "failed"
                counts[outcome] += 1

        await asyncio.gather(*(work() for _ in range(min(concurrency, len(due)))))
    return FanoutResult(**counts)


async def reminders_job(context: BotContext) -> None:
    """Send the reminders that are due; errors are logged, never passed to the JobQueue."""
    try:
        app = context.application
        # Stopping waits for running jobs: a long fan-out must not hold up a restart.
        result = await send_due_reminders(
            context.deps, context.sender, worker=worker_name(), keep_going=lambda: app.running
        )
        if result.total:
            logger.info(
                "reminders: %d sent, %d blocked, %d failed, %d already claimed",
                result.sent,
                result.blocked,
                result.failed,
                result.skipped_already_claimed,
            )
    except Exception:
        logger.error("reminder run failed; the next run tries again", exc_info=True)


def register_reminder_job(app: Application, settings: Settings) -> None:
    """Check for due reminders every ``reminder_check_interval_seconds``, soon after start."""
    if app.job_queue is None:
        logger.warning("no JobQueue (install python-telegram-bot[job-queue]): reminders are off")
        return
    interval = settings.reminder_check_interval_seconds
    app.job_queue.run_repeating(
        reminders_job,
        interval=interval,
        first=min(FIRST_RUN_AFTER, interval),
        name="reminders",
        job_kwargs={
            # A run that starts late (a busy loop, a suspended host) still runs, once.
            "misfire_grace_time": max(300, 5 * interval),
            "coalesce": True,
            # A long fan-out is never doubled up; it rereads the due list as it goes anyway.
            "max_instances": 1,
        },
    )
