"""The rules of a session, without a database: what one answer does to it."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.session_step import advance
from db.queries.practice import OpenSession


def _session(position: int, *, wrong: int = 0, hints: int = 0, total: int = 5) -> OpenSession:
    return OpenSession(
        id=1,
        local_date=dt.date(2026, 12, 4),
        problem_ids=list(range(100, 100 + total)),
        variant_seeds=[0] * total,
        position=position,
        wrong_on_current=wrong,
        hints_on_current=hints,
        correct_count=2,
        hints_total=1,
    )


@pytest.mark.parametrize(
    ("position", "wrong", "is_correct", "skipped", "expected"),
    [
        # right first time: next problem, one more correct
        (0, 0, True, False, {"position": 1, "finished": True, "completed": False, "correct": 3}),
        # wrong with attempts left: same problem, one more wrong
        (0, 0, False, False, {"position": 0, "finished": False, "completed": False, "correct": 2}),
        # the last allowed wrong answer finishes the problem (attempts_per_problem = 2)
        (0, 1, False, False, {"position": 1, "finished": True, "completed": False, "correct": 2}),
        # a skip finishes it, never counts as correct
        (2, 0, False, True, {"position": 3, "finished": True, "completed": False, "correct": 2}),
        # the last problem finishes the session, which stays on that problem
        (4, 0, True, False, {"position": 4, "finished": True, "completed": True, "correct": 3}),
        (4, 1, False, False, {"position": 4, "finished": True, "completed": True, "correct": 2}),
    ],
)
def test_one_answer_moves_the_session(
    position: int, wrong: int, is_correct: bool, skipped: bool, expected: dict[str, object]
) -> None:
    step = advance(
        _session(position, wrong=wrong),
        is_correct=is_correct,
        skipped=skipped,
        attempts_per_problem=2,
    )
    assert step.position == expected["position"]
    assert step.finished_problem is expected["finished"]
    assert step.completed is expected["completed"]
    assert step.correct_count == expected["correct"]


def test_hints_of_a_finished_problem_are_added_to_the_total() -> None:
    step = advance(_session(1, hints=2), is_correct=True, skipped=False, attempts_per_problem=2)
    assert (step.hints_total, step.hints_on_current) == (3, 0)
    assert step.as_values() == {
        "position": 2,
        "wrong_on_current": 0,
        "hints_on_current": 0,
        "correct_count": 3,
        "hints_total": 3,
    }


def test_a_wrong_answer_with_attempts_left_changes_only_the_wrong_count() -> None:
    step = advance(_session(1, hints=1), is_correct=False, skipped=False, attempts_per_problem=3)
    assert step.as_values() == {"wrong_on_current": 1}
    assert step.hints_on_current == 1


def test_the_last_answer_marks_the_session_completed() -> None:
    step = advance(_session(4), is_correct=True, skipped=False, attempts_per_problem=2)
    assert step.as_values()["status"] == "completed"
