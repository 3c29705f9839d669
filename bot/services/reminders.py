"""Daily reminders: who should be nudged to practise right now, in their own time zone.

The schedule lives in the database (``students.reminder_time``, local time in
``students.timezone``), not in the scheduler: a periodic job asks :func:`due_reminders` and
claims each send in the ``deliveries`` ledger, so restarts and extra processes lose or repeat
nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.streaks import StreakState, displayed_current
from db import queries

logger = logging.getLogger(__name__)

KIND = "reminder"


@dataclass(frozen=True, slots=True)
class DueReminder:
    """One student to remind today, with what the message needs."""

    student_id: int
    telegram_id: int
    name: str
    language: str
    local_date: dt.date
    streak_current: int
    # Practising today is the only way to keep the streak (see ``streak_at_risk``).
    streak_at_risk: bool

    @property
    def period(self) -> str:
        """The ledger period of this reminder: the student's local date."""
        return self.local_date.isoformat()


def streak_at_risk(state: StreakState, today: dt.date) -> bool:
    """Whether the streak is alive today but gone tomorrow unless the student practises today.

    Without a freeze that means they last practised yesterday; with one, the day before
    (the freeze bridges one missed day, so missing yesterday too would end it).
    """
    if state.last_practice_date is None or state.current < 1:
        return False
    allowed = 2 if state.freezes_available > 0 else 1
    return (today - state.last_practice_date).days == allowed


async def due_reminders(
    db: async_sessionmaker[AsyncSession], *, now: dt.datetime
) -> list[DueReminder]:
    """Onboarded, reachable students whose reminder time has passed today (their local day),
    who have not finished today's practice and were not reminded today yet.

    Students who joined today are left alone until tomorrow: they are with us right now.
    The queries run once per time zone, with that zone's local date and time computed once.
    """
    due: list[DueReminder] = []
    async with db() as s:
        for timezone in await queries.deliveries.reminder_timezones(s):
            try:
                zone = ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                logger.warning("skipping reminders for unknown time zone %r", timezone)
                continue
            local_now = now.astimezone(zone)
            today = local_now.date()
            midnight = dt.datetime.combine(today, dt.time(), tzinfo=zone).astimezone(dt.UTC)
            candidates = await queries.deliveries.reminder_candidates(
                s, timezone=timezone, local_time=local_now.time(), joined_before=midnight
            )
            if not candidates:
                continue
            finished = await queries.deliveries.completed_on(s, local_date=today)
            # Today's reminders were all claimed today; a day's margin covers clock skew
            # between processes (and the claim itself is the real guard anyway).
            reminded = await queries.deliveries.delivered_since(
                s, kind=KIND, period=today.isoformat(), since=midnight - dt.timedelta(days=1)
            )
            for row in candidates:
                if row.student_id in finished or row.telegram_id in reminded:
                    continue
                state = StreakState(
                    current=row.streak_current,
                    last_practice_date=row.last_practice_date,
                    freezes_available=row.freezes_available,
                )
                due.append(
                    DueReminder(
                        student_id=row.student_id,
                        telegram_id=row.telegram_id,
                        name=row.name,
                        language=row.language,
                        local_date=today,
                        streak_current=displayed_current(state, today),
                        streak_at_risk=streak_at_risk(state, today),
                    )
                )
    return due


async def mark_unreachable(db: async_sessionmaker[AsyncSession], *, student_id: int) -> None:
    """The student blocked the bot: no more reminders until they write to it again."""
    async with db.begin() as s:
        await queries.students.set_student_unreachable(s, student_id=student_id)
