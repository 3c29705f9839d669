"""Small query functions. They take an AsyncSession, never commit, and hide dialect differences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import GeneratedHint, PracticeSession, Problem, Response, Streak, Student


def _insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT on both PostgreSQL and SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def get_student(session: AsyncSession, *, telegram_id: int) -> Student | None:
    return await session.scalar(select(Student).where(Student.telegram_id == telegram_id))


async def create_student_once(session: AsyncSession, **values: Any) -> Student:
    """Insert a student unless one with this telegram_id exists (two /start at once), then load."""
    stmt = _insert(session, Student).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["telegram_id"]))
    student = await get_student(session, telegram_id=values["telegram_id"])
    assert student is not None
    return student


async def get_student_and_open_session(
    session: AsyncSession, *, telegram_id: int
) -> tuple[Student | None, PracticeSession | None]:
    """One round trip: the student and their latest unfinished practice session, if any."""
    open_session = and_(
        PracticeSession.student_id == Student.id, PracticeSession.status == "in_progress"
    )
    row = (
        await session.execute(
            select(Student, PracticeSession)
            .outerjoin(PracticeSession, open_session)
            .where(Student.telegram_id == telegram_id)
            .order_by(PracticeSession.local_date.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None, None
    return row[0], row[1]


async def get_session_for_day(
    session: AsyncSession, *, student_id: int, local_date: dt.date
) -> PracticeSession | None:
    return await session.scalar(
        select(PracticeSession).where(
            PracticeSession.student_id == student_id, PracticeSession.local_date == local_date
        )
    )


async def create_session_once(
    session: AsyncSession, *, student_id: int, local_date: dt.date, problem_ids: list[int]
) -> PracticeSession:
    """Create the day's session; if a concurrent request already did, return that one."""
    stmt = _insert(session, PracticeSession).values(
        student_id=student_id,
        local_date=local_date,
        problem_ids=problem_ids,
        status="in_progress",
        position=0,
        wrong_on_current=0,
        hints_on_current=0,
        correct_count=0,
        hints_total=0,
        started_at=dt.datetime.now(dt.UTC),
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["student_id", "local_date"]))
    created = await get_session_for_day(session, student_id=student_id, local_date=local_date)
    assert created is not None
    return created


async def insert_response_once(session: AsyncSession, **values: Any) -> int | None:
    """Record a Response; None when this idempotency key (update id) was already recorded."""
    stmt = (
        _insert(session, Response)
        .values(created_at=dt.datetime.now(dt.UTC), **values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Response.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_session_if_unchanged(
    session: AsyncSession,
    *,
    session_id: int,
    position: int,
    wrong_on_current: int,
    hints_on_current: int,
    values: dict[str, Any],
) -> bool:
    """Compare-and-set on the session's step: False if another update moved it first."""
    result = await session.execute(
        update(PracticeSession)
        .where(
            PracticeSession.id == session_id,
            PracticeSession.status == "in_progress",
            PracticeSession.position == position,
            PracticeSession.wrong_on_current == wrong_on_current,
            PracticeSession.hints_on_current == hints_on_current,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get_problems(session: AsyncSession, ids: Sequence[int]) -> list[Problem]:
    if not ids:
        return []
    return list((await session.scalars(select(Problem).where(Problem.id.in_(ids)))).all())


async def active_problem_summaries(
    session: AsyncSession, *, grade: int
) -> list[tuple[int, str, int]]:
    """(id, topic, difficulty) of every problem that may be served to this grade."""
    rows = await session.execute(
        select(Problem.id, Problem.topic, Problem.difficulty)
        .where(Problem.grade == grade, Problem.active.is_(True))
        .order_by(Problem.id)
    )
    return [(r[0], r[1], r[2]) for r in rows]


@dataclass(frozen=True, slots=True)
class ProblemHistory:
    problem_id: int
    attempts: int
    correct: int
    last_wrong_at: dt.datetime | None
    last_correct_at: dt.datetime | None


async def student_history(session: AsyncSession, *, student_id: int) -> list[ProblemHistory]:
    """Per problem: how often this student tried it, got it right, and when they last missed it."""
    wrong_at = func.max(case((Response.is_correct.is_(False), Response.created_at)))
    right_at = func.max(case((Response.is_correct.is_(True), Response.created_at)))
    rows = await session.execute(
        select(
            Response.problem_id,
            func.count(),
            func.sum(case((Response.is_correct.is_(True), 1), else_=0)),
            wrong_at,
            right_at,
        )
        .where(Response.student_id == student_id)
        .group_by(Response.problem_id)
    )
    return [
        ProblemHistory(r[0], int(r[1]), int(r[2] or 0), _aware(r[3]), _aware(r[4])) for r in rows
    ]


def _aware(value: Any) -> dt.datetime | None:
    # Aggregates bypass the column type, so SQLite returns naive UTC (or even text).
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def get_streak_for_update(session: AsyncSession, *, student_id: int) -> Streak | None:
    return await session.scalar(
        select(Streak).where(Streak.student_id == student_id).with_for_update()
    )


async def get_streak(session: AsyncSession, *, student_id: int) -> Streak | None:
    return await session.get(Streak, student_id)


async def get_generated_hint(
    session: AsyncSession, *, problem_id: int, language: str, level: int
) -> str | None:
    return await session.scalar(
        select(GeneratedHint.text).where(
            GeneratedHint.problem_id == problem_id,
            GeneratedHint.language == language,
            GeneratedHint.level == level,
        )
    )


async def store_generated_hint_once(
    session: AsyncSession, *, problem_id: int, language: str, level: int, text: str, model: str
) -> str:
    """Keep the first hint stored for this (problem, language, level); return the stored text."""
    stmt = _insert(session, GeneratedHint).values(
        problem_id=problem_id,
        language=language,
        level=level,
        text=text,
        model=model,
        created_at=dt.datetime.now(dt.UTC),
    )
    await session.execute(
        stmt.on_conflict_do_nothing(index_elements=["problem_id", "language", "level"])
    )
    stored = await get_generated_hint(
        session, problem_id=problem_id, language=language, level=level
    )
    return stored if stored is not None else text
