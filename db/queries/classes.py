"""Teachers, their classes and class members.

Every function that reads a child's data for a teacher takes the caller's own telegram_id and
filters by it, so ids that came from a client are never trusted alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    ClassMember,
    SchoolClass,
    Student,
    Teacher,
)
from db.queries.dialect import dialect_insert


async def get_teacher(session: AsyncSession, *, telegram_id: int) -> Teacher | None:
    return await session.scalar(select(Teacher).where(Teacher.telegram_id == telegram_id))


async def create_teacher_once(session: AsyncSession, **values: Any) -> bool:
    """Register a teacher; False when this Telegram id already was one."""
    stmt = (
        dialect_insert(session, Teacher)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["telegram_id"])
        .returning(Teacher.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def classes_of(session: AsyncSession, *, teacher_telegram_id: int) -> list[SchoolClass]:
    """The classes of the teacher with this Telegram id, oldest first."""
    rows = await session.scalars(
        select(SchoolClass)
        .join(Teacher, Teacher.id == SchoolClass.teacher_id)
        .where(Teacher.telegram_id == teacher_telegram_id)
        .order_by(SchoolClass.id)
    )
    return list(rows.all())


async def get_own_class(
    session: AsyncSession, *, teacher_telegram_id: int, class_id: int
) -> SchoolClass | None:
    """The class with this id, only if the teacher with this Telegram id owns it."""
    return await session.scalar(
        select(SchoolClass)
        .join(Teacher, Teacher.id == SchoolClass.teacher_id)
        .where(SchoolClass.id == class_id, Teacher.telegram_id == teacher_telegram_id)
    )


async def get_class(session: AsyncSession, *, class_id: int) -> SchoolClass | None:
    return await session.get(SchoolClass, class_id)


async def members_of(
    session: AsyncSession, *, class_ids: Sequence[int]
) -> list[tuple[int, Student]]:
    """(class id, student) for every member of these classes, by name."""
    if not class_ids:
        return []
    rows = await session.execute(
        select(ClassMember.class_id, Student)
        .join(Student, Student.id == ClassMember.student_id)
        .where(ClassMember.class_id.in_(class_ids))
        .order_by(Student.name, Student.id)
    )
    return [(row[0], row[1]) for row in rows]


async def add_member_once(
    session: AsyncSession, *, class_id: int, student_id: int, now: dt.datetime
) -> bool:
    """Put a student in a class; False when they were already in it."""
    stmt = (
        dialect_insert(session, ClassMember)
        .values(class_id=class_id, student_id=student_id, joined_at=now)
        .on_conflict_do_nothing(index_elements=["class_id", "student_id"])
        .returning(ClassMember.student_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def delete_teacher(session: AsyncSession, *, telegram_id: int) -> bool:
    result = await session.execute(delete(Teacher).where(Teacher.telegram_id == telegram_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def classes_in_group(session: AsyncSession, *, chat_id: int) -> list[SchoolClass]:
    rows = await session.scalars(select(SchoolClass).where(SchoolClass.group_chat_id == chat_id))
    return list(rows.all())


async def teacher_overview(
    session: AsyncSession, *, telegram_id: int | None = None
) -> list[tuple[Teacher, int, int]]:
    """(teacher, classes, distinct students in them) for every teacher (or one), oldest first."""
    stmt = (
        select(
            Teacher,
            func.count(func.distinct(SchoolClass.id)),
            func.count(func.distinct(ClassMember.student_id)),
        )
        .outerjoin(SchoolClass, SchoolClass.teacher_id == Teacher.id)
        .outerjoin(ClassMember, ClassMember.class_id == SchoolClass.id)
        .group_by(Teacher.id)
        .order_by(Teacher.created_at, Teacher.id)
    )
    if telegram_id is not None:
        stmt = stmt.where(Teacher.telegram_id == telegram_id)
    rows = await session.execute(stmt)
    return [(row[0], int(row[1]), int(row[2])) for row in rows]
