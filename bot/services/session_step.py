"""The rules of moving through a session, as one pure function: what an answer does to it.

No database here: ``advance`` takes the session as read and what happened, and returns the new
counters. ``services/practice.py`` writes them with a compare-and-set; the table tests in
``tests/services/test_session_step.py`` pin the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from db.queries.practice import OpenSession


@dataclass(frozen=True, slots=True)
class Step:
    """The session after one answer (or skip) to its current problem."""

    position: int
    completed: bool
    finished_problem: bool  # right, skipped, or out of attempts: the next problem comes
    correct_count: int
    hints_total: int
    wrong_on_current: int
    hints_on_current: int

    def as_values(self) -> dict[str, Any]:
        """The columns this step changes, for the session's compare-and-set."""
        if not self.finished_problem:
            return {"wrong_on_current": self.wrong_on_current}
        values: dict[str, Any] = {
            "position": self.position,
            "wrong_on_current": 0,
            "hints_on_current": 0,
            "correct_count": self.correct_count,
            "hints_total": self.hints_total,
        }
        if self.completed:
            values["status"] = "completed"
        return values


def advance(
    practice: OpenSession, *, is_correct: bool, skipped: bool, attempts_per_problem: int
) -> Step:
    """Apply one graded answer: a right answer, a skip, or the last allowed wrong answer
    finishes the problem (the last one finishes the session); a wrong one with attempts
    left counts against it."""
    total = len(practice.problem_ids)
    finished = is_correct or skipped or practice.wrong_on_current + 1 >= attempts_per_problem
    if not finished:
        return Step(
            position=practice.position,
            completed=False,
            finished_problem=False,
            correct_count=practice.correct_count,
            hints_total=practice.hints_total,
            wrong_on_current=practice.wrong_on_current + 1,
            hints_on_current=practice.hints_on_current,
        )
    next_position = practice.position + 1
    completed = next_position >= total
    return Step(
        # A completed session stays on its last problem (the column is a valid index).
        position=total - 1 if completed else next_position,
        completed=completed,
        finished_problem=True,
        correct_count=practice.correct_count + int(is_correct),
        hints_total=practice.hints_total + practice.hints_on_current,
        wrong_on_current=0,
        hints_on_current=0,
    )
