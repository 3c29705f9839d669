"""Students: find, create once, reachability, deletion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    LlmSpend,
    Student,
)
from db.queries.dialect import dialect_insert


async def get_student(session: AsyncSession, *, telegram_id: int) -> Student | None:
    return await session.scalar(select(Student).where(Student.telegram_id == telegram_id))


async def create_student_once(session: AsyncSession, **values: Any) -> Student:
    """Insert a student unless one with this telegram_id exists (two /start at once), then load."""
    stmt = dialect_insert(session, Student).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["telegram_id"]))
    student = await get_student(session, telegram_id=values["telegram_id"])
    assert student is not None
    return student


async def delete_student(session: AsyncSession, *, telegram_id: int) -> bool:
    """Delete a student row; the foreign keys anonymise or remove everything that pointed at it."""
    student_id = (
        await session.execute(
            delete(Student).where(Student.telegram_id == telegram_id).returning(Student.id)
        )
    ).scalar_one_or_none()
    if student_id is None:
        return False
    # Their share of the model spending is kept by their id, with no key to enforce: it goes
    # too (the day's total for everyone stays as it was).
    await session.execute(delete(LlmSpend).where(LlmSpend.scope == student_id))
    return True


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
