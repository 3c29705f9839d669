"""Numbers for operators (/stats in chat and `dars stats`), and their audit log.

"Today" and "this week" are local days in the default time zone, the days most students
live in; the model's cost is counted per UTC day, the same days the budgets use.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.clock import local_date
from bot.services.deps import Deps
from db import queries
from db.models import Delivery, Guardian, PracticeSession, Student, Teacher

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stats:
    students: int
    parents: int
    teachers: int
    active_today: int
    active_week: int
    sessions_completed: int
    sessions_completed_today: int
    answers: int
    correct: int
    reminders_sent: int
    reminders_sent_today: int
    llm_cost_today: Decimal

    @property
    def accuracy(self) -> int | None:
        """Right answers in percent over all answers (skips included), None before any."""
        return round(100 * self.correct / self.answers) if self.answers else None


async def collect_stats(deps: Deps) -> Stats:
    """Counts over the whole database; they never show a name or a Telegram id."""
    now = deps.clock()
    tz = deps.settings.default_timezone
    today = local_date(now, tz)
    monday = today - dt.timedelta(days=today.weekday())
    start_of_today = dt.datetime.combine(today, dt.time(), tzinfo=ZoneInfo(tz))
    utc_midnight = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    reminder = (Delivery.kind == "reminder", Delivery.status == "sent")
    async with deps.db() as s:
        answers, correct = await queries.stats.answer_totals(s)
        return Stats(
            students=await queries.stats.count_rows(s, Student),
            parents=await queries.stats.count_rows(s, Guardian),
            teachers=await queries.stats.count_rows(s, Teacher),
            active_today=await queries.stats.count_active_students(s, since=today),
            active_week=await queries.stats.count_active_students(s, since=monday),
            sessions_completed=await queries.stats.count_rows(
                s, PracticeSession, PracticeSession.status == "completed"
            ),
            sessions_completed_today=await queries.stats.count_rows(
                s,
                PracticeSession,
                PracticeSession.status == "completed",
                PracticeSession.local_date == today,
            ),
            answers=answers,
            correct=correct,
            reminders_sent=await queries.stats.count_rows(s, Delivery, *reminder),
            reminders_sent_today=await queries.stats.count_rows(
                s, Delivery, *reminder, Delivery.sent_at >= start_of_today
            ),
            llm_cost_today=await queries.stats.llm_cost_since(s, since=utc_midnight),
        )


async def record_audit(
    deps: Deps, *, actor_telegram_id: int, action: str, detail: dict[str, Any] | None = None
) -> None:
    """Write one operator action to the audit log."""
    async with deps.db.begin() as s:
        await queries.stats.add_audit(
            s,
            actor_telegram_id=actor_telegram_id,
            action=action,
            detail=detail or {},
            now=deps.clock(),
        )


HEALTH_TIMEOUT = 2.0


async def database_ok(deps: Deps) -> bool:
    """Whether the database answers a trivial query within two seconds (health check)."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), deps.db() as s:
            await queries.stats.ping(s)
    except Exception:
        logger.warning("health check: the database did not answer", exc_info=True)
        return False
    return True
