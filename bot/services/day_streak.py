"""Saving a streak when the day's session is complete: usually one compare-and-set write on
the row the answer's first query read; if it changed in between, again on the locked row."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.deps import Deps
from bot.services.streaks import StreakState, StreakStep, record_practice_day
from db import queries
from db.models import Streak
from db.queries.practice import AnsweringStudent, StreakSnapshot


async def advance_streak(
    deps: Deps, s: AsyncSession, student: AnsweringStudent, day: dt.date
) -> StreakStep:
    # The session's own day counts, not the minute it ended: finishing at 00:05 a session
    # started at 23:55 keeps yesterday's place in the streak.
    seen = student.streak
    step = record_practice_day(
        snapshot_state(seen) if seen is not None else StreakState(),
        day,
        deps.settings.milestones,
    )
    if not step.changed:
        return step
    # Usually nobody touched the streak since the answer's first query read it: one write.
    state = step.state
    if await queries.practice.save_streak_if_unchanged(
        s,
        student_id=student.id,
        seen=seen,
        current=state.current,
        longest=state.longest,
        last_practice_date=state.last_practice_date,
        milestones_achieved=state.milestones_achieved,
        freezes_available=state.freezes_available,
    ):
        return step
    return await advance_streak_locked(deps, s, student.id, day)


async def advance_streak_locked(
    deps: Deps, s: AsyncSession, student_id: int, day: dt.date
) -> StreakStep:
    """The same, on the row locked for this transaction (it changed since it was read)."""
    row = await queries.practice.get_streak_for_update(s, student_id=student_id)
    if row is None:
        row = Streak(
            student_id=student_id,
            current=0,
            longest=0,
            milestones_achieved=[],
            freezes_available=0,
        )
        s.add(row)
    step = record_practice_day(row_state(row), day, deps.settings.milestones)
    if step.changed:
        row.current = step.state.current
        row.longest = step.state.longest
        row.last_practice_date = step.state.last_practice_date
        row.milestones_achieved = list(step.state.milestones_achieved)
        row.freezes_available = step.state.freezes_available
    await s.flush()
    return step


def snapshot_state(seen: StreakSnapshot) -> StreakState:
    return StreakState(
        current=seen.current,
        longest=seen.longest,
        last_practice_date=seen.last_practice_date,
        milestones_achieved=seen.milestones_achieved,
        freezes_available=seen.freezes_available,
    )


def row_state(row: Streak) -> StreakState:
    return StreakState(
        current=row.current,
        longest=row.longest,
        last_practice_date=row.last_practice_date,
        milestones_achieved=tuple(row.milestones_achieved or ()),
        freezes_available=row.freezes_available,
    )
