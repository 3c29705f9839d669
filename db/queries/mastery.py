"""Mastery rows: a student's knowledge of each topic and its review schedule.

The graded answer changes one row without reading it first: the new probability is a SQL
expression of the stored one (the model's arithmetic, given by the service as a function of
the column), so on PostgreSQL the upsert rides in the answer's own statement
(``practice.record_answer_once``) and costs no round trip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import (
    Float,
    Integer,
    SmallInteger,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.models import Placement, PracticeSession, TopicMastery

_mastery = cast(Table, TopicMastery.__table__)
P_KNOWN = _mastery.c.p_known

Schedule = Literal["reset", "climb", "keep"]


@dataclass(frozen=True, slots=True)
class MasteryWrite:
    """One graded answer's change to a topic's row.

    ``p_after(column)`` is the model's update as an expression of the stored probability;
    ``p_first`` the value for a topic never practised. ``key`` identifies ``p_after`` (the
    statement is built once per key). ``schedule``: ``reset`` (back to the first rung, due
    tomorrow), ``climb`` (a rung up if the review was due) or ``keep``; ``intervals`` the
    ladder in days.
    """

    student_id: int
    grade: int
    topic: str
    today: int
    correct: bool
    p_first: float
    p_after: Callable[[Any], Any]
    key: Hashable
    schedule: Schedule
    intervals: tuple[int, ...]

    def params(self) -> dict[str, Any]:
        return {
            "m_student_id": self.student_id,
            "m_grade": self.grade,
            "m_topic": self.topic,
            "m_p_first": self.p_first,
            "m_correct": int(self.correct),
            "m_due_first": self.today + self.intervals[0],
            "m_today": self.today,
        }


@dataclass(frozen=True, slots=True)
class MasteryRow:
    topic: str
    p_known: float
    attempts: int
    correct: int
    stage: int
    due_day: int
    last_day: int
    placed: bool


_UPSERTS: dict[tuple[str, Hashable, Schedule, tuple[int, ...], bool], Any] = {}


def upsert_statement(dialect: str, write: MasteryWrite, *, after: Any = None) -> Any:
    """INSERT … ON CONFLICT DO UPDATE for ``write`` (its values come from ``write.params()``);
    with ``after`` (a CTE), only if that CTE returned a row."""
    cache_key = (dialect, write.key, write.schedule, write.intervals, after is not None)
    if after is None:
        stmt = _UPSERTS.get(cache_key)
        if stmt is not None:
            return stmt
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    first: dict[str, Any] = {
        "student_id": bindparam("m_student_id", type_=Integer),
        "grade": bindparam("m_grade", type_=SmallInteger),
        "topic": bindparam("m_topic", type_=String),
        "p_known": bindparam("m_p_first", type_=Float),
        "attempts": literal(1, Integer),
        "correct": bindparam("m_correct", type_=Integer),
        "stage": literal(0, SmallInteger),
        "due_day": bindparam("m_due_first", type_=Integer),
        "last_day": bindparam("m_today", type_=Integer),
        "placed": false(),
    }
    if after is None:
        base = insert(_mastery).values(first)
    else:
        # Only if the Response was inserted (a replayed update changes nothing).
        source = select(*first.values()).where(exists(select(after.c.id)))
        base = insert(_mastery).from_select(list(first), source)
    c = _mastery.c
    today = bindparam("m_today", type_=Integer)
    due_now = today >= c.due_day
    top = len(write.intervals) - 1
    climbed = case((c.stage >= top, top), else_=c.stage + 1)
    if write.schedule == "reset":
        stage: Any = 0
        due: Any = bindparam("m_due_first")
    elif write.schedule == "climb":
        stage = case((due_now, climbed), else_=c.stage)
        next_interval = case(
            *((climbed == i, days) for i, days in enumerate(write.intervals)),
            else_=write.intervals[-1],
        )
        due = case((due_now, today + next_interval), else_=c.due_day)
    else:
        stage, due = c.stage, c.due_day
    stmt = base.on_conflict_do_update(
        index_elements=["student_id", "grade", "topic"],
        set_={
            "p_known": write.p_after(c.p_known),
            "attempts": c.attempts + 1,
            "correct": c.correct + bindparam("m_correct", type_=Integer),
            "stage": stage,
            "due_day": due,
            "last_day": today,
            "placed": false(),
        },
    )
    if after is None:
        _UPSERTS[cache_key] = stmt
    return stmt


async def record(conn: AsyncConnection, write: MasteryWrite) -> None:
    """Apply one answer's change as its own statement (SQLite: no writable CTEs; in-process,
    so no round trip either)."""
    await conn.execute(upsert_statement(conn.dialect.name, write), write.params())


async def get_mastery(session: AsyncSession, *, student_id: int, grade: int) -> list[MasteryRow]:
    """The student's rows for the topics of one class (a few dozen at most, never history)."""
    c = _mastery.c
    rows = await session.execute(
        select(
            c.topic, c.p_known, c.attempts, c.correct, c.stage, c.due_day, c.last_day, c.placed
        ).where(c.student_id == student_id, c.grade == grade)
    )
    return [MasteryRow(*row) for row in rows]


async def place(
    session: AsyncSession,
    *,
    student_id: int,
    grade: int,
    estimates: Sequence[tuple[str, float]],
    today: int,
    due_day: int,
) -> None:
    """Starting values from the placement check, for topics not practised yet (an earlier
    check's values are replaced; practice is never overwritten)."""
    c = _mastery.c
    await session.execute(
        delete(_mastery).where(
            and_(c.student_id == student_id, c.grade == grade, c.placed.is_(True))
        )
    )
    if not estimates:
        return
    conn = await session.connection()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    await conn.execute(
        insert(_mastery).on_conflict_do_nothing(index_elements=["student_id", "grade", "topic"]),
        [
            {
                "student_id": student_id,
                "grade": grade,
                "topic": topic,
                "p_known": p,
                "attempts": 0,
                "correct": 0,
                "stage": 0,
                "due_day": due_day,
                "last_day": today,
                "placed": True,
            }
            for topic, p in estimates
        ],
    )


async def solved_since(session: AsyncSession, *, student_id: int, since: dt.date) -> int:
    """Problems answered right in the student's sessions from local day ``since`` on."""
    total = await session.scalar(
        select(func.coalesce(func.sum(PracticeSession.correct_count), 0)).where(
            PracticeSession.student_id == student_id, PracticeSession.local_date >= since
        )
    )
    return int(total or 0)


async def get_placement(session: AsyncSession, *, student_id: int) -> Placement | None:
    return await session.get(Placement, student_id)


async def save_placement(session: AsyncSession, **values: Any) -> None:
    """Begin the student's placement check, or move it on."""
    row = await session.get(Placement, values["student_id"])
    if row is None:
        session.add(Placement(**values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    await session.flush()


async def end_placement(session: AsyncSession, *, student_id: int) -> None:
    await session.execute(delete(Placement).where(Placement.student_id == student_id))


async def mastery_of(
    session: AsyncSession, *, student_ids: Sequence[int]
) -> dict[int, dict[tuple[int, str], MasteryRow]]:
    """Several students' rows by (class, topic), in one query: reports, never history."""
    if not student_ids:
        return {}
    c = _mastery.c
    rows = await session.execute(
        select(
            c.student_id,
            c.grade,
            c.topic,
            c.p_known,
            c.attempts,
            c.correct,
            c.stage,
            c.due_day,
            c.last_day,
            c.placed,
        ).where(c.student_id.in_(student_ids))
    )
    found: dict[int, dict[tuple[int, str], MasteryRow]] = {}
    for sid, grade, topic, p, attempts, correct, stage, due, last, placed in rows:
        found.setdefault(sid, {})[(grade, topic)] = MasteryRow(
            topic, p, attempts, correct, stage, due, last, placed
        )
    return found
