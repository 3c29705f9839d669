"""Streak rules, pure: how a practice day changes a streak and which milestones it reaches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

MAX_FREEZES = 2


@dataclass(frozen=True, slots=True)
class StreakState:
    current: int = 0
    longest: int = 0
    last_practice_date: dt.date | None = None
    milestones_achieved: tuple[int, ...] = ()
    freezes_available: int = 0


@dataclass(frozen=True, slots=True)
class StreakStep:
    state: StreakState
    changed: bool
    new_milestones: tuple[int, ...] = ()
    used_freeze: bool = False


def record_practice_day(state: StreakState, day: dt.date, milestones: Sequence[int]) -> StreakStep:
    """Count a finished practice on local date ``day``: next day +1, same day 0, a gap resets.

    A gap of exactly one missed day is bridged by a freeze when the student has one; every
    milestone reached earns a freeze (at most ``MAX_FREEZES`` kept). Each milestone is
    celebrated once, ever.
    """
    last = state.last_practice_date
    freezes = state.freezes_available
    used_freeze = False
    if last is not None and day <= last:
        return StreakStep(state=state, changed=False)
    if last is not None and day - last == dt.timedelta(days=1):
        current = state.current + 1
    elif last is not None and day - last == dt.timedelta(days=2) and freezes > 0:
        current = state.current + 1
        freezes -= 1
        used_freeze = True
    else:
        current = 1
    reached = tuple(
        m for m in sorted(milestones) if current >= m and m not in state.milestones_achieved
    )
    new_state = StreakState(
        current=current,
        longest=max(state.longest, current),
        last_practice_date=day,
        milestones_achieved=tuple(sorted({*state.milestones_achieved, *reached})),
        freezes_available=min(MAX_FREEZES, freezes + len(reached)),
    )
    return StreakStep(
        state=new_state, changed=True, new_milestones=reached, used_freeze=used_freeze
    )


def displayed_current(state: StreakState, today: dt.date) -> int:
    """The streak as the student sees it today: a streak whose last day is long gone shows 0."""
    last = state.last_practice_date
    if last is None:
        return 0
    gap = (today - last).days
    allowed = 2 if state.freezes_available > 0 else 1
    return state.current if gap <= allowed else 0
