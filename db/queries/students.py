"""Students: find, create once, reachability, deletion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Response,
    Student,
)
from db.queries.dialect import dialect_insert


async def get_student(session: AsyncSession, *, telegram_id: int) -> Student | None:
    return await session.scalar(select(Student).where(Student.telegram_id == telegram_id))


async def telegram_id_of(session: AsyncSession, *, student_id: int) -> int | None:
    """The Telegram id of a student row (None once they deleted their data)."""
    return await session.scalar(select(Student.telegram_id).where(Student.id == student_id))


async def create_student_once(session: AsyncSession, **values: Any) -> Student:
    """Insert a student unless one with this telegram_id exists (two /start at once), then load."""
    stmt = dialect_insert(session, Student).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["telegram_id"]))
    student = await get_student(session, telegram_id=values["telegram_id"])
    assert student is not None
    return student


async def delete_student(session: AsyncSession, *, telegram_id: int) -> bool:
    """Delete a student row; the foreign keys anonymise or remove everything that pointed at it.

    What they typed as answers is blanked first: a written answer can name the child ("I am
    Mitu, phone …"), and anonymised rows must not keep it. The verdicts stay for statistics.
    """
    own = select(Student.id).where(Student.telegram_id == telegram_id).scalar_subquery()
    await session.execute(
        update(Response)
        .where(Response.student_id == own, Response.student_answer.is_not(None))
        .values(student_answer=None)
        .execution_options(synchronize_session=False)
    )
    student_id = (
        await session.execute(
            delete(Student).where(Student.telegram_id == telegram_id).returning(Student.id)
        )
    ).scalar_one_or_none()
    # The student's share of today's model spending is kept under a keyed hash of their
    # Telegram id (llm_user_spend), not their row: deleting and joining again does not give
    # a fresh budget. It is pruned once the day is over.
    return student_id is not None


async def set_student_unreachable(session: AsyncSession, *, student_id: int) -> None:
    """Stop scheduled messages to a student who blocked the bot (writing to it again resets)."""
    await session.execute(
        update(Student)
        .where(Student.id == student_id)
        .values(reachable=False)
        .execution_options(synchronize_session=False)
    )


async def ready_to_practise(session: AsyncSession, *, student_id: int) -> None:
    """They asked to practise: reachable again, and no longer in a name or reminder prompt."""
    await session.execute(
        update(Student)
        .where(Student.id == student_id)
        .values(reachable=True, awaiting=None, updated_at=dt.datetime.now(dt.UTC))
        .execution_options(synchronize_session=False)
    )
