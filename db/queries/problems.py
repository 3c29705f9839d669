"""Problems of the bank: cards for the tutor, summaries of what is active, bank sync."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Problem,
)


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
