"""The daily clean-up: forget expired links, old link attempts and past days' spending.

Every process runs it on its own; each run only deletes rows that no longer count, so two
processes (or a run right after a restart) do no harm.
"""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import BotContext
from bot.services import families

logger = logging.getLogger(__name__)

NAME = "housekeeping"
INTERVAL_SECONDS = 24 * 60 * 60
FIRST_RUN_AFTER = 300.0


async def housekeeping_job(context: BotContext) -> None:
    """Prune once; errors are logged, never passed to the JobQueue (the next run tries again)."""
    try:
        pruned = await families.prune(context.deps)
    except Exception:
        logger.error("housekeeping failed; the next run tries again", exc_info=True)
        return
    logger.info(
        "housekeeping: %d expired links, %d old link attempts, %d past spending totals",
        pruned.invites,
        pruned.attempts,
        pruned.spend,
    )


def register_housekeeping_job(app: Application) -> None:
    """Run the clean-up a few minutes after start, then once a day."""
    if app.job_queue is None:
        return
    app.job_queue.run_repeating(
        housekeeping_job,
        interval=INTERVAL_SECONDS,
        first=FIRST_RUN_AFTER,
        name=NAME,
        job_kwargs={"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1},
    )
