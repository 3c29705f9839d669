"""Counts and activity for reports and operators; the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AuditLog,
    CostRecord,
    PracticeSession,
    Problem,
    Response,
    Streak,
)
from db.queries.practice import GRADED


@dataclass(frozen=True, slots=True)
class DayActivity:
    """One student's practice session on one of their local days."""

    student_id: int
    local_date: dt.date
    completed: bool
    hints: int


async def day_activity(
    session: AsyncSession, *, student_ids: Sequence[int], since: dt.date, until: dt.date
) -> list[DayActivity]:
    """The practice sessions of these students between two local dates (both included)."""
    if not student_ids:
        return []
    rows = await session.execute(
        select(
            PracticeSession.student_id,
            PracticeSession.local_date,
            PracticeSession.status,
            PracticeSession.hints_total + PracticeSession.hints_on_current,
        ).where(
            PracticeSession.student_id.in_(student_ids),
            PracticeSession.local_date >= since,
            PracticeSession.local_date <= until,
        )
    )
    return [DayActivity(r[0] or 0, r[1], r[2] == "completed", int(r[3] or 0)) for r in rows]


@dataclass(frozen=True, slots=True)
class TopicAnswers:
    """How one student answered one topic on one local day."""

    student_id: int
    local_date: dt.date
    topic: str
    answers: int
    correct: int


async def topic_answers(
    session: AsyncSession, *, student_ids: Sequence[int], since: dt.date, until: dt.date
) -> list[TopicAnswers]:
    """Answers (skips included) per student, local day and topic between two local dates."""
    if not student_ids:
        return []
    rows = await session.execute(
        select(
            Response.student_id,
            PracticeSession.local_date,
            Problem.topic,
            func.count(),
            func.sum(case((Response.is_correct.is_(True), 1), else_=0)),
        )
        .join(PracticeSession, PracticeSession.id == Response.session_id)
        .join(Problem, Problem.id == Response.problem_id)
        .where(
            Response.student_id.in_(student_ids),
            PracticeSession.local_date >= since,
            PracticeSession.local_date <= until,
            GRADED,
        )
        .group_by(Response.student_id, PracticeSession.local_date, Problem.topic)
    )
    return [TopicAnswers(r[0] or 0, r[1], r[2], int(r[3]), int(r[4] or 0)) for r in rows]


async def streaks_of(session: AsyncSession, *, student_ids: Sequence[int]) -> dict[int, Streak]:
    if not student_ids:
        return {}
    rows = await session.scalars(select(Streak).where(Streak.student_id.in_(student_ids)))
    return {row.student_id: row for row in rows}


async def add_audit(
    session: AsyncSession,
    *,
    actor_telegram_id: int,
    action: str,
    detail: dict[str, Any],
    now: dt.datetime,
) -> None:
    session.add(
        AuditLog(actor_telegram_id=actor_telegram_id, action=action, detail=detail, created_at=now)
    )
    await session.flush()


async def count_rows(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def count_active_students(session: AsyncSession, *, since: dt.date) -> int:
    """Students with a practice session on or after this local date."""
    return int(
        await session.scalar(
            select(func.count(func.distinct(PracticeSession.student_id))).where(
                PracticeSession.local_date >= since, PracticeSession.student_id.is_not(None)
            )
        )
        or 0
    )


async def answer_totals(session: AsyncSession) -> tuple[int, int]:
    """(answers, correct answers) over all responses, anonymised ones included."""
    row = (
        await session.execute(
            select(
                func.count(), func.sum(case((Response.is_correct.is_(True), 1), else_=0))
            ).where(GRADED)
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


async def llm_cost_since(session: AsyncSession, *, since: dt.datetime) -> Decimal:
    """What model calls cost since this instant (refused calls cost nothing and are left out)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(CostRecord.cost_usd), 0)).where(
            CostRecord.created_at >= since, CostRecord.status != "budget_exceeded"
        )
    )
    return Decimal(str(total or 0))


async def ping(session: AsyncSession) -> None:
    """A trivial round trip, for health checks."""
    await session.execute(select(1))


async def answer_activity(
    session: AsyncSession, *, since: dt.datetime, until: dt.datetime
) -> tuple[int, int]:
    """Students who answered anything, and problems answered correctly, in the window."""
    active, solved = (
        await session.execute(
            select(
                func.count(distinct(Response.student_id)),
                func.sum(case((Response.is_correct.is_(True), 1), else_=0)),
            ).where(Response.created_at >= since, Response.created_at < until, GRADED)
        )
    ).one()
    return int(active or 0), int(solved or 0)
