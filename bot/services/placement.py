"""The placement check: up to ``MAX_PROBLEMS`` problems, adaptive, that find where in the
class's syllabus the student stands, so a strong student does not start at the beginning.

A binary search over the syllabus order: the boundary between topics the student already
knows and the first they do not lies in ``[low, high]``; each problem comes from the topic in
the middle (difficulty 2, a typed answer). Right: the boundary is after it; wrong: at or before
it. After ``MAX_PROBLEMS`` problems or when the range closes, every topic before the boundary
starts as mastered (``PLACED_P``) and comes back for a review in ``PLACED_REVIEW_DAYS`` days —
where a miss puts it back into practice. Skippable; taken again any time from /settings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import mastery
from bot.services.cards import ProblemCard
from bot.services.clock import local_date
from bot.services.deps import Deps
from bot.services.digits import has_other_digits
from db import queries
from db.models import Placement, Student
from problems.checking import Verdict, check_answer
from problems.types import AnswerType

MAX_PROBLEMS = 6
PLACED_P = mastery.MASTERED
PLACED_REVIEW_DAYS = 7

PlacementKind = Literal[
    "problem",
    "done",
    "skipped",
    "unreadable",
    "other_digits",
    "duplicate",
    "not_onboarded",
    "no_problems",
]


@dataclass(frozen=True, slots=True)
class PlacementOutcome:
    kind: PlacementKind
    lang: str
    card: ProblemCard | None = None
    step: int = 0  # 1-based number of the problem shown
    known: int = 0  # done: topics placed as already known
    # done: where practice starts ({"en": …, "bn": …} and the slug); None: all known.
    start_topic: tuple[str, dict[str, str]] | None = None
    last_right: bool | None = None


def middle(low: int, high: int) -> int:
    """The topic to ask about when the boundary lies in [low, high] (high exclusive of
    topics: ``high`` = every topic known)."""
    return (low + high) // 2


def narrow(low: int, high: int, *, right: bool) -> tuple[int, int]:
    """The range after an answer on the middle topic."""
    mid = middle(low, high)
    return (mid + 1, high) if right else (low, mid)


async def _syllabus(s: AsyncSession, grade: int) -> list[tuple[str, dict[str, str]]]:
    named = await queries.problems.topic_names(s, grade=grade)
    offered = {topic for _pid, topic, _d, _seeds in await _candidates(s, grade)}
    return [(t.slug, {"en": t.name_en, "bn": t.name_bn}) for t in named if t.slug in offered]


async def _candidates(s: AsyncSession, grade: int) -> list[tuple[int, str, int, list[int] | None]]:
    return await queries.problems.active_problem_summaries(s, grade=grade)


async def _pick(
    deps: Deps, s: AsyncSession, student: Student, topic: str, step: int
) -> ProblemCard | None:
    """A typed-answer problem of ``topic`` near difficulty 2, with fresh numbers if a template."""
    assert student.grade is not None
    rng = random.Random(f"placement:{student.id}:{topic}:{step}")
    pool = [row for row in await _candidates(s, student.grade) if row[1] == topic]
    pool.sort(key=lambda row: (abs(row[2] - 2), rng.random()))
    for pid, _topic, _difficulty, seeds in pool:
        card = await deps.problems.get(s, (pid, rng.choice(seeds) if seeds else 0))
        if card.answer_type is not AnswerType.MULTIPLE_CHOICE:
            return card
    return None


async def start(deps: Deps, *, telegram_id: int) -> PlacementOutcome:
    """Begin (or begin again) the check: its first problem."""
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None or student.grade is None:
            return PlacementOutcome("not_onboarded", student.language if student else "en")
        topics = await _syllabus(s, student.grade)
        if not topics:
            return PlacementOutcome("no_problems", student.language)
        low, high = 0, len(topics)
        return await _ask(deps, s, student, topics, low, high, step=0, update_id=None)


async def _ask(
    deps: Deps,
    s: AsyncSession,
    student: Student,
    topics: list[tuple[str, dict[str, str]]],
    low: int,
    high: int,
    *,
    step: int,
    update_id: int | None,
    last_right: bool | None = None,
) -> PlacementOutcome:
    """Ask about the middle topic, or finish when the range is closed or the check is over."""
    assert student.grade is not None
    while low < high and step < MAX_PROBLEMS:
        card = await _pick(deps, s, student, topics[middle(low, high)][0], step)
        if card is not None:
            await queries.mastery.save_placement(
                s,
                student_id=student.id,
                grade=student.grade,
                low=low,
                high=high,
                step=step,
                problem_id=card.id,
                variant_seed=card.seed,
                last_update_id=update_id,
            )
            student.awaiting = "placement"
            return PlacementOutcome(
                "problem", student.language, card=card, step=step + 1, last_right=last_right
            )
        # No typed-answer problem in that topic: treat it as not known and look earlier.
        low, high = narrow(low, high, right=False)
    return await _finish(deps, s, student, topics, low, last_right)


async def _finish(
    deps: Deps,
    s: AsyncSession,
    student: Student,
    topics: list[tuple[str, dict[str, str]]],
    known: int,
    last_right: bool | None,
) -> PlacementOutcome:
    assert student.grade is not None
    today = mastery.day_number(local_date(deps.clock(), student.timezone))
    await queries.mastery.place(
        s,
        student_id=student.id,
        grade=student.grade,
        estimates=[(slug, PLACED_P) for slug, _names in topics[:known]],
        today=today,
        due_day=today + PLACED_REVIEW_DAYS,
    )
    await queries.mastery.end_placement(s, student_id=student.id)
    student.awaiting = None
    return PlacementOutcome(
        "done",
        student.language,
        known=known,
        start_topic=topics[known] if known < len(topics) else None,
        last_right=last_right,
    )


async def answer(deps: Deps, *, telegram_id: int, text: str, update_id: int) -> PlacementOutcome:
    """Grade a typed answer to the check's current problem and go on (or finish)."""
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None or student.grade is None:
            return PlacementOutcome("not_onboarded", student.language if student else "en")
        row: Placement | None = await queries.mastery.get_placement(s, student_id=student.id)
        if row is None or row.grade != student.grade:
            # Nothing to answer (or the class changed): the check is over.
            student.awaiting = None
            return PlacementOutcome("skipped", student.language)
        if row.last_update_id == update_id:
            return PlacementOutcome("duplicate", student.language)
        card = await deps.problems.get(s, (row.problem_id, row.variant_seed))
        if has_other_digits(text):
            # Digits we do not read (٧, ७…): asked for 0–9 or ০–৯; nothing is counted.
            return PlacementOutcome("other_digits", student.language, card=card, step=row.step)
        verdict = check_answer(card.answer_key, text).verdict
        if verdict is Verdict.UNREADABLE:
            return PlacementOutcome("unreadable", student.language, card=card, step=row.step + 1)
        # The right value in another shape is right enough to place a student.
        right = verdict in (Verdict.CORRECT, Verdict.NEEDS_FORM)
        topics = await _syllabus(s, student.grade)
        low, high = narrow(row.low, row.high, right=right)
        return await _ask(
            deps,
            s,
            student,
            topics,
            low,
            high,
            step=row.step + 1,
            update_id=update_id,
            last_right=right,
        )


async def skip(deps: Deps, *, telegram_id: int) -> PlacementOutcome:
    """Not now: no check (an unfinished one is dropped); practice starts at the beginning."""
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None:
            return PlacementOutcome("not_onboarded", "en")
        await queries.mastery.end_placement(s, student_id=student.id)
        if student.awaiting == "placement":
            student.awaiting = None
        return PlacementOutcome("skipped", student.language)
