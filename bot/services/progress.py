"""/progress: what a student knows of each topic of their class, their streak, this week's
solved problems and what comes next. Read only; a few small queries, never their history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import mastery
from bot.services.clock import local_date
from bot.services.deps import Deps
from bot.services.selection import TopicState, plan_topics
from bot.services.streaks import StreakState, displayed_current
from db import queries
from db.models import Topic
from db.queries.mastery import MasteryRow


@dataclass(frozen=True, slots=True)
class TopicProgress:
    slug: str
    names: dict[str, str]  # {"en": …, "bn": …}
    level: mastery.Level


@dataclass(frozen=True, slots=True)
class Progress:
    kind: str  # "ok" or "not_onboarded"
    lang: str
    grade: int | None = None
    topics: tuple[TopicProgress, ...] = ()
    streak_current: int = 0
    streak_longest: int = 0
    solved_this_week: int = 0
    next_topics: tuple[TopicProgress, ...] = ()


def levels_in_order(
    topics: Sequence[Topic], rows: Mapping[str, MasteryRow]
) -> list[TopicProgress]:
    """Every topic of a class, in syllabus order, at the level its row says."""
    shown = []
    for t in topics:
        row = rows.get(t.slug)
        # A placed topic shows its level before any practice.
        attempts = (row.attempts or int(row.placed)) if row is not None else 0
        level = mastery.level(row.p_known if row is not None else None, attempts)
        shown.append(TopicProgress(t.slug, {"en": t.name_en, "bn": t.name_bn}, level))
    return shown


async def topic_progress(
    s: AsyncSession, *, student_id: int, grade: int, today: dt.date
) -> tuple[list[TopicProgress], list[TopicProgress]]:
    """Every topic of the class in syllabus order with its level, and the topics next up."""
    topics = await queries.problems.topic_names(s, grade=grade)
    rows = {
        r.topic: r
        for r in await queries.mastery.get_mastery(s, student_id=student_id, grade=grade)
    }
    shown = levels_in_order(topics, rows)
    states = {slug: TopicState(r.p_known, r.attempts, r.due_day) for slug, r in rows.items()}
    plan = plan_topics([t.slug for t in topics], states, 5, today=mastery.day_number(today))
    by_slug = {p.slug: p for p in shown}
    upcoming = list(dict.fromkeys(slug for slug, _why in plan))[:3]
    return shown, [by_slug[slug] for slug in upcoming]


async def student_progress(deps: Deps, *, telegram_id: int) -> Progress:
    """The student's own progress, in their language."""
    async with deps.db() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None or student.grade is None:
            return Progress(kind="not_onboarded", lang=student.language if student else "en")
        today = local_date(deps.clock(), student.timezone)
        shown, upcoming = await topic_progress(
            s, student_id=student.id, grade=student.grade, today=today
        )
        streak = await queries.practice.get_streak(s, student_id=student.id)
        monday = today - dt.timedelta(days=today.weekday())
        solved = await queries.mastery.solved_since(s, student_id=student.id, since=monday)
    state = (
        StreakState(
            current=streak.current,
            longest=streak.longest,
            last_practice_date=streak.last_practice_date,
            milestones_achieved=tuple(streak.milestones_achieved or ()),
            freezes_available=streak.freezes_available,
        )
        if streak is not None
        else StreakState()
    )
    return Progress(
        kind="ok",
        lang=student.language,
        grade=student.grade,
        topics=tuple(shown),
        streak_current=displayed_current(state, today),
        streak_longest=state.longest,
        solved_this_week=solved,
        next_topics=tuple(upcoming),
    )
