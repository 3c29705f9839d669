"""Problems of the bank: cards for the tutor, summaries of what is active, bank sync."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Problem, Topic
from db.queries.dialect import dialect_insert


async def get_problems(session: AsyncSession, ids: Sequence[int]) -> list[Problem]:
    if not ids:
        return []
    return list((await session.scalars(select(Problem).where(Problem.id.in_(ids)))).all())


async def active_problem_ids(session: AsyncSession) -> list[int]:
    """Every problem a session may be given."""
    return list((await session.scalars(select(Problem.id).where(Problem.active.is_(True)))).all())


async def active_problem_summaries(
    session: AsyncSession, *, grade: int
) -> list[tuple[int, str, int, list[int] | None]]:
    """(id, topic, difficulty, variant seeds or None) of every problem this grade may get."""
    rows = await session.execute(
        select(Problem.id, Problem.topic, Problem.difficulty, Problem.variant_seeds)
        .where(Problem.grade == grade, Problem.active.is_(True))
        .order_by(Problem.id)
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def bank_index(session: AsyncSession) -> list[Any]:
    """Every problem ever loaded: (key, id, content hash, active, source file, no spec yet)."""
    result = await session.execute(
        select(
            Problem.key,
            Problem.id,
            Problem.content_hash,
            Problem.active,
            Problem.source_file,
            Problem.spec.is_(None),
        )
    )
    return list(result.all())


async def insert_problems(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Create problems (one executemany)."""
    await session.execute(insert(Problem), list(rows))


async def update_problems(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Update problems by primary key (each row carries its ``id``)."""
    await session.execute(update(Problem), list(rows))


async def retire_problems(session: AsyncSession, *, ids: Sequence[int], now: dt.datetime) -> None:
    """Stop giving these problems to students; their history stays."""
    await session.execute(
        update(Problem).where(Problem.id.in_(ids)).values(active=False, updated_at=now)
    )


async def save_topics(session: AsyncSession, topics: Sequence[dict[str, Any]]) -> None:
    """Create or rename topics (keyed by grade and slug), with their syllabus position."""
    if not topics:
        return
    stmt = dialect_insert(session, Topic)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["grade", "slug"],
            set_={
                "position": stmt.excluded.position,
                "name_en": stmt.excluded.name_en,
                "name_bn": stmt.excluded.name_bn,
            },
        ),
        list(topics),
    )


async def topic_names(session: AsyncSession, *, grade: int | None = None) -> list[Topic]:
    """The named topics (of one class), in syllabus order."""
    stmt = select(Topic).order_by(Topic.grade, Topic.position)
    if grade is not None:
        stmt = stmt.where(Topic.grade == grade)
    return list((await session.scalars(stmt)).all())
