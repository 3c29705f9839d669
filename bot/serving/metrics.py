"""Prometheus metrics: what an operator watches (every name is in docs/operations.md).

The hot path only increments counters in memory (no SQL, no I/O); the two numbers that need
the database, the deliveries queue and today's active students, are read when Prometheus
scrapes (``refresh_database_gauges``). The metrics live in prometheus-client's default
registry, one set per process: with several replicas, Prometheus scrapes each of them.
"""

from __future__ import annotations

import datetime as dt
import logging

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

logger = logging.getLogger(__name__)

UPDATES = Counter(
    "dars_updates_total",
    "Updates received, by kind (message, callback_query, edited_message, other).",
    ["kind"],
)
FLOODED = Counter(
    "dars_updates_flooded_total",
    "Updates dropped by per-user flood control before any handler ran, by kind.",
    ["kind"],
)
HANDLER_SECONDS = Histogram(
    "dars_handler_seconds",
    "Time from an update's turn starting to its handlers finishing, by kind.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ANSWERS = Counter(
    "dars_answers_total",
    "Answers to problems, by verdict (correct, retry, revealed, skipped, unreadable, …).",
    ["verdict"],
)
MODEL_CALLS = Counter(
    "dars_model_calls_total",
    "Language-model calls made, by operation and status (ok, timeout, error).",
    ["operation", "status"],
)
MODEL_COST = Counter(
    "dars_model_cost_usd_total",
    "US dollars charged (or reserved at worst case) for language-model calls, by operation.",
    ["operation"],
)
BUDGET_REFUSALS = Counter(
    "dars_budget_refusals_total",
    "Language-model calls not made because a daily budget was reached, by budget.",
    ["budget"],
)
SENDS = Counter(
    "dars_scheduled_sends_total",
    "Scheduled messages (reminders, summaries), by result (sent, blocked, failed).",
    ["result"],
)
SEND_RATE_LIMITED = Counter(
    "dars_scheduled_send_429_total",
    "429 (flood wait) answers from Telegram to scheduled sends.",
)
SEND_FORBIDDEN = Counter(
    "dars_scheduled_send_403_total",
    "403 (bot blocked) answers from Telegram to scheduled sends.",
)
DELIVERIES_PENDING = Gauge(
    "dars_deliveries_pending",
    "Scheduled sends claimed or failed and not yet sent (read from the database at scrape time).",
)
ACTIVE_STUDENTS = Gauge(
    "dars_active_students_today",
    "Students who answered at least once since 00:00 UTC (read at scrape time).",
)
SCRAPE_DB_ERRORS = Counter(
    "dars_metrics_database_errors_total",
    "Scrapes whose database gauges could not be read.",
)


def update_kind(update: object) -> str:
    """The kind label of an update: which of its fields is set."""
    for kind in ("message", "callback_query", "edited_message"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


async def refresh_database_gauges(
    db: async_sessionmaker[AsyncSession], *, now: dt.datetime
) -> bool:
    """Read the queue depth and today's active students; False if the database failed."""
    from db.models import Delivery, Response

    start_of_day = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time(), tzinfo=dt.UTC)
    try:
        async with db() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("claimed", "failed")))
            )
            active = await session.scalar(
                select(func.count(func.distinct(Response.student_id))).where(
                    Response.created_at >= start_of_day
                )
            )
    except (SQLAlchemyError, OSError):
        SCRAPE_DB_ERRORS.inc()
        logger.warning("metrics: could not read the database gauges")
        return False
    DELIVERIES_PENDING.set(int(pending or 0))
    ACTIVE_STUDENTS.set(int(active or 0))
    return True
