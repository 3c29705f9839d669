"""The scheduled summaries: weekly (and optional daily) to parents, weekly to teachers and to
the class group chats teachers chose with /postsummary.

Like the reminders, every process runs this job on its own; each send is claimed in the
``deliveries`` ledger under (kind, chat, period) first, so with two processes (or a restart
in the middle) everybody still gets each summary once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator

from telegram.ext import Application

from bot import messages
from bot.context import BotContext
from bot.jobs.delivery import deliver_once, worker_name
from bot.jobs.sender import RateLimitedSender
from bot.services import classes, summaries
from bot.services.deps import Deps
from bot.services.summaries import DueSummary
from bot.texts import N_

logger = logging.getLogger(__name__)

CONCURRENCY = 10
_HEADERS = {
    "weekly_parent": N_("weekly_summary_header"),
    "daily_parent": N_("daily_summary_header"),
    "weekly_class": N_("weekly_class_header"),
    "weekly_group": N_("weekly_class_header"),
}


async def summary_text(deps: Deps, due: DueSummary) -> str | None:
    """The message for one due summary, or None when there is nothing left to tell."""
    header = _HEADERS[due.kind]
    if due.kind.endswith("_parent"):
        report = await summaries.parent_report(deps, telegram_id=due.owner_id)
        if report is None or not report.children:
            return None
        return messages.parent_text(report, header=header)
    teacher = await summaries.teacher_report(deps, telegram_id=due.owner_id, class_id=due.class_id)
    if teacher is None or not teacher.classes:
        return None
    return messages.class_text(teacher, header=header)


async def _deliver(deps: Deps, sender: RateLimitedSender, due: DueSummary, *, worker: str) -> str:
    """Claim, send and record one summary; returns what happened to it."""

    async def blocked() -> None:
        if due.kind == "weekly_group":
            await classes.forget_group(deps, chat_id=due.chat_id)
        else:
            await summaries.mark_unreachable(deps, telegram_id=due.chat_id, kind=due.kind)

    return await deliver_once(
        deps,
        sender,
        kind=due.kind,
        chat_id=due.chat_id,
        period=due.period,
        worker=worker,
        text=lambda: summary_text(deps, due),
        on_blocked=blocked,
    )


async def send_due_summaries(deps: Deps, sender: RateLimitedSender, *, worker: str) -> int:
    """Send every summary that is due now and not yet sent; returns how many were sent."""
    due = await summaries.due_summaries(deps, now=deps.clock())
    counts: Counter[str] = Counter()
    queue = iter(due)

    async def work(queue: Iterator[DueSummary] = queue) -> None:
        for item in queue:  # the workers share one iterator: each item is taken once
            try:
                counts[await _deliver(deps, sender, item, worker=worker)] += 1
            except Exception as exc:
                # Most likely the database; a claim left behind is retried once stale.
                logger.warning("a %s summary failed (%s)", item.kind, type(exc).__name__)
                counts["failed"] += 1

    await asyncio.gather(*(work() for _ in range(min(CONCURRENCY, len(due)))))
    if counts:
        logger.info("summaries: %s", dict(counts))
    return counts["sent"]


async def summary_job(context: BotContext) -> None:
    """Send the summaries that are due; errors are logged, never passed to the JobQueue."""
    try:
        await send_due_summaries(context.deps, context.sender, worker=worker_name())
    except Exception:
        logger.error("summary run failed; the next run tries again", exc_info=True)


def register_summary_job(app: Application) -> None:
    """Look for due summaries every few minutes (they are due all evening)."""
    if app.job_queue is None:
        return
    app.job_queue.run_repeating(
        summary_job,
        interval=300,
        first=30,
        name="summaries",
        job_kwargs={"misfire_grace_time": 900, "coalesce": True, "max_instances": 1},
    )
