"""A day's finished session moves the student's streak: the new streak is worked out from the
row the answer's first query read and saved with the answer's own write, if the row is still
as read (``db/queries/practice.py``); if it changed in between, it is read and saved again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.services.deps import Deps
from bot.services.streaks import StreakState, StreakStep, record_practice_day
from db import queries
from db.queries.practice import StreakSnapshot, StreakWrite


def streak_step(
    deps: Deps, student_id: int, seen: StreakSnapshot | None, day: dt.date
) -> tuple[StreakStep, StreakWrite | None]:
    """The streak after practising on ``day``, and the write that saves it (None: unchanged).

    The session's own day counts, not the minute it ended: finishing at 00:05 a session
    started at 23:55 keeps yesterday's place in the streak."""
    step = record_practice_day(
        snapshot_state(seen) if seen is not None else StreakState(), day, deps.settings.milestones
    )
    if not step.changed:
        return step, None
    state = step.state
    write = StreakWrite(
        student_id=student_id,
        seen=seen,
        current=state.current,
        longest=state.longest,
        last_practice_date=state.last_practice_date,
        milestones_achieved=state.milestones_achieved,
        freezes_available=state.freezes_available,
    )
    return step, write


async def save_streak_again(
    deps: Deps, conn: AsyncConnection, student_id: int, day: dt.date
) -> StreakStep:
    """The row changed after the answer read it: read it now and compare-and-set again
    (each lost race means another write counted, so this ends)."""
    while True:
        seen = await queries.practice.streak_snapshot(conn, student_id=student_id)
        step, write = streak_step(deps, student_id, seen, day)
        if write is None or await queries.practice.save_streak_if_unchanged(conn, write):
            return step


def snapshot_state(seen: StreakSnapshot) -> StreakState:
    return StreakState(
        current=seen.current,
        longest=seen.longest,
        last_practice_date=seen.last_practice_date,
        milestones_achieved=seen.milestones_achieved,
        freezes_available=seen.freezes_available,
    )
