"""Hints written by the language model, stored once per problem, language and level."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.models import (
    GeneratedHint,
)
from db.queries.dialect import dialect_insert


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
    stmt = dialect_insert(session, GeneratedHint).values(
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


async def try_advisory_lock(conn: AsyncConnection, key: tuple[int, int]) -> bool:
    """PostgreSQL: take the session-level advisory lock ``key`` if it is free."""
    return bool(await conn.scalar(select(func.pg_try_advisory_lock(*key))))


async def advisory_unlock(conn: AsyncConnection, key: tuple[int, int]) -> None:
    """PostgreSQL: release an advisory lock taken with ``try_advisory_lock``."""
    await conn.scalar(select(func.pg_advisory_unlock(*key)))


async def forget_generated_hints(session: AsyncSession, *, problem_ids: Sequence[int]) -> None:
    """Drop model hints written for a question that has since changed."""
    await session.execute(delete(GeneratedHint).where(GeneratedHint.problem_id.in_(problem_ids)))
