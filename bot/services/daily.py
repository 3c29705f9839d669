"""Today's problems for a student: their mastery rows, the class's syllabus order and the
variants they were given lately, handed to the pure rules in ``selection``. It reads a row a
topic and 200 days of sessions, never the student's history of responses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import mastery
from bot.services.selection import REPEAT_DAYS, Candidate, TopicState, Variant, choose_problems
from db import queries


async def todays_variants(
    s: AsyncSession, *, student_id: int, grade: int, today: dt.date, count: int, extra: int = 0
) -> list[Variant] | None:
    """Up to ``count`` variants for today's session (or its extra set number ``extra``, which
    avoids what the day's session gave too); None when the class has no problems."""
    candidates = [
        Candidate(pid, topic, difficulty, tuple(seeds or ()))
        for pid, topic, difficulty, seeds in await queries.problems.active_problem_summaries(
            s, grade=grade
        )
    ]
    if not candidates:
        return None
    syllabus = [t.slug for t in await queries.problems.topic_names(s, grade=grade)]
    rows = await queries.mastery.get_mastery(s, student_id=student_id, grade=grade)
    states = {r.topic: TopicState(r.p_known, r.attempts, r.due_day) for r in rows}
    seen = await queries.practice.seen_variants(
        s, student_id=student_id, since=today - dt.timedelta(days=REPEAT_DAYS)
    )
    return choose_problems(
        candidates,
        syllabus,
        states,
        count,
        today=mastery.day_number(today),
        seed=f"{student_id}:{today}" + (f":{extra}" if extra else ""),
        seen=seen,
    )
