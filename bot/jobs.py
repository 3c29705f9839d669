"""JobQueue callbacks: the periodic reminder run, and the fan-out it performs.

APScheduler keeps its jobs in memory and each bot process runs its own, so the job only asks
the database what is due; every send is claimed in the ``deliveries`` ledger first, which is
what keeps two processes (or a restarted one) from reminding anybody twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup
from telegram.ext import Application, ContextTypes

from bot.config import Settings
from bot.keyboards import practice_keyboard
from bot.sender import RateLimitedSender, SendResult
from bot.services import deliveries, reminders
from bot.services.deps import Deps
from bot.services.reminders import DueReminder
from bot.texts import t

logger = logging.getLogger(__name__)

# Sends in progress at once; the sender spaces them out, this only bounds the waiting tasks.
CONCURRENCY = 10
# Reminders are taken from a fresh due list every CHUNK sends, so a student who finishes
# practising during a long fan-out is not reminded a few minutes later.
CHUNK = 250
FIRST_RUN_AFTER = 10.0


@dataclass(frozen=True, slots=True)
class FanoutResult:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped_already_claimed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.blocked + self.failed + self.skipped_already_claimed


def worker_name() -> str:
    """Who holds a claim: host and process id (the ledger column takes 64 characters)."""
    return f"{socket.gethostname()}:{os.getpid()}"[-64:]


def reminder_text(due: DueReminder, *, count: int) -> str:
    """The reminder in the student's language: the streak warning when today decides it."""
    if due.streak_at_risk:
        return t(due.language, "reminder_streak", name=due.name, current=due.streak_current)
    return t(due.language, "reminder", name=due.name, count=count)


async def deliver_once(
    deps: Deps,
    sender: RateLimitedSender,
    *,
    kind: str,
    chat_id: int,
    period: str,
    worker: str,
    text: Callable[[], Awaitable[str | None]],
    on_blocked: Callable[[], Awaitable[None]],
    student_id: int | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
    stale_after: dt.timedelta = deliveries.STALE_AFTER,
) -> str:
    """Claim, send and record one scheduled message (a reminder, a summary).

    Returns "sent", "blocked", "failed", "empty" (nothing to say) or "skipped" (another
    worker has it). ``text`` is built only once the claim is ours.
    """
    # Claim only once sending is possible, so a long flood pause cannot age a claim into
    # looking abandoned while this worker still means to send it.
    await sender.wait_unpaused()
    claimed = await deliveries.claim(
        deps.db,
        kind=kind,
        recipient_id=chat_id,
        period=period,
        student_id=student_id,
        worker=worker,
        now=deps.clock(),
        stale_after=stale_after,
    )
    if not claimed:
        return "skipped"

    async def failed(error: str, *, give_up: bool) -> None:
        await deliveries.mark_failed(
            deps.db, kind=kind, recipient_id=chat_id, period=period, error=error, give_up=give_up
        )

    body = await text()
    if body is None:
        await failed("nothing to send", give_up=True)
        return "empty"
    still_ours = True

    async def before_request() -> bool:
        nonlocal still_ours
        still_ours = await deliveries.mark_sending(
            deps.db,
            kind=kind,
            recipient_id=chat_id,
            period=period,
            worker=worker,
            now=deps.clock(),
        )
        return still_ours

    result = await sender.send(
        chat_id, body, reply_markup=reply_markup, before_request=before_request
    )
    if not still_ours:
        return "skipped"  # our claim went stale and another worker took it over
    if result is SendResult.SENT:
        await deliveries.mark_sent(
            deps.db, kind=kind, recipient_id=chat_id, period=period, now=deps.clock()
        )
        return "sent"
    if result is SendResult.BLOCKED:
        await on_blocked()
        await failed("blocked", give_up=True)
        return "blocked"
    await failed("send failed", give_up=False)
    return "failed"


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


async def reminders_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the reminders that are due; errors are logged, never passed to the JobQueue."""
    try:
        app = context.application
        deps: Deps = app.bot_data["deps"]
        sender: RateLimitedSender = app.bot_data["sender"]
        # Stopping waits for running jobs: a long fan-out must not hold up a restart.
        result = await send_due_reminders(
            deps, sender, worker=worker_name(), keep_going=lambda: app.running
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


def register_jobs(app: Application, settings: Settings) -> None:
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
