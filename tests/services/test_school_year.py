"""A school year of practice: a student who practises every day meets no variant twice, and a
missed problem comes back with new numbers (the shipped bank, real database)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.services import practice
from bot.services.deps import Deps
from db.models import PracticeSession, Student
from tests.conftest import FakeClock
from tests.helpers import next_update_id, onboard, right_answer, wrong_answer

DAYS = 60


async def _practise_one_day(deps: Deps, telegram_id: int, *, miss_first: bool) -> list[str]:
    """Start today's session and answer every problem (the first wrong if ``miss_first``);
    returns the English questions seen."""
    outcome = await practice.start_practice(deps, telegram_id=telegram_id)
    assert outcome.kind == "problem" and outcome.problem is not None, outcome
    view = outcome.problem
    questions = []
    first = True
    while True:
        questions.append(view.card.question["en"])
        card = view.card
        answers = [wrong_answer(card)] * 2 if (first and miss_first) else [right_answer(card)]
        first = False
        result = None
        for answer in answers:
            result = await practice.submit_answer(
                deps, telegram_id=telegram_id, answer=answer, update_id=next_update_id()
            )
            assert result.kind in ("correct", "retry", "revealed"), (result.kind, answer)
        assert result is not None
        if result.summary is not None:
            return questions
        assert result.next_problem is not None
        view = result.next_problem


async def _variants(deps: Deps, telegram_id: int) -> list[tuple[dt.date, list[tuple[int, int]]]]:
    async with deps.db() as s:
        rows = await s.execute(
            select(
                PracticeSession.local_date,
                PracticeSession.problem_ids,
                PracticeSession.variant_seeds,
            )
            .join(Student, Student.id == PracticeSession.student_id)
            .where(Student.telegram_id == telegram_id)
            .order_by(PracticeSession.local_date)
        )
        return [
            (day, list(zip(ids, seeds or [0] * len(ids), strict=True))) for day, ids, seeds in rows
        ]


@pytest.mark.parametrize("grade", [6, 7, 8])
async def test_sixty_days_of_practice_never_repeat_a_variant(
    deps: Deps, clock: FakeClock, loaded_bank, grade: int
) -> None:
    telegram_id = 9000 + grade
    await onboard(deps, telegram_id, grade=grade)
    seen_questions: list[str] = []
    for day in range(DAYS):
        clock.set_local(f"{dt.date(2026, 3, 10) + dt.timedelta(days=day)}T17:00")
        # Once a week the first problem is missed, so reviews happen.
        seen_questions += await _practise_one_day(deps, telegram_id, miss_first=day % 7 == 0)

    sessions = await _variants(deps, telegram_id)
    assert len(sessions) == DAYS
    served = [variant for _day, variants in sessions for variant in variants]
    assert len(served) == DAYS * deps.settings.problems_per_session
    assert len(set(served)) == len(served), "a variant came back within 60 days"
    assert len(set(seen_questions)) == len(seen_questions), "a question came back"

    # Every problem missed on day 0, 7, 14, … came back later with other numbers.
    problem_of = {variant: variant[0] for variant in served}
    missed = [variants[0] for day, variants in sessions[::7]]
    came_back = [
        m
        for m in missed
        if any(problem_of[v] == m[0] and v != m for v in served[served.index(m) + 1 :])
    ]
    assert came_back, f"no missed template came back with new numbers: {missed}"
