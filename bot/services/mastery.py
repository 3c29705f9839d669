"""What a student knows of each topic: Bayesian Knowledge Tracing and a review schedule. Pure.

The model (Corbett & Anderson's BKT, one skill per topic): ``p`` is the probability that the
student knows the topic. A graded answer is evidence; Bayes' rule gives the posterior, and
then the student may learn from the practice itself (``learn``):

    right:  post = p(1 − slip) / (p(1 − slip) + (1 − p) guess)
    wrong:  post = p · slip / (p · slip + (1 − p)(1 − guess))
    new p = blended + (1 − blended) · learn,   blended = p + weight · (post − p)

``weight`` says how much the answer tells us: 1 for a first try without hints, less for a
success after a hint or on a second try (the hint or the first miss did part of the work),
and a skip counts as half a miss. An answer the checker could not read, or the right value in
another shape (``form``), is not evidence and changes nothing.

The same arithmetic runs in Python (the simulation, the table tests) and as a SQL expression
in the graded answer's own statement (``db/queries/mastery.py`` passes a column as ``p``):
``posterior_expression`` uses only + − × ÷, so both get the same numbers.

Reviews follow a ladder of growing intervals (1, 3, 7, 14, 30 days): a topic practised comes
back after the interval of its stage; a success when the review is due climbs a rung, a
first-try miss drops to the bottom.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from db.queries.mastery import MasteryWrite

Level = Literal["not_started", "practising", "familiar", "mastered"]

# Days until a topic comes back, by stage.
INTERVALS: tuple[int, ...] = (1, 3, 7, 14, 30)
MASTERED = 0.95  # BKT's customary mastery threshold
FAMILIAR = 0.6

_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class BktParams:
    """One topic's knowledge-tracing parameters."""

    prior: float = 0.2  # known before any practice (placement may set more)
    learn: float = 0.12  # chance of learning it from one practised problem
    slip: float = 0.1  # knows it, answers wrong
    guess: float = 0.2  # does not know it, answers right


DEFAULT_PARAMS = BktParams()
# Per-topic parameters, where a topic is known to differ (e.g. multiple choice guesses more).
TOPIC_PARAMS: dict[str, BktParams] = {}


def params_for(topic: str) -> BktParams:
    return TOPIC_PARAMS.get(topic, DEFAULT_PARAMS)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one graded answer says: right or wrong, and how strongly (0 = nothing)."""

    correct: bool
    weight: float


def evidence_of(
    *, is_correct: bool, grader: str, hints_used: int, earlier_tries: int
) -> Evidence | None:
    """The evidence of a recorded answer; None when it says nothing about the student."""
    if grader == "form":
        return None
    if grader == "skip":
        return Evidence(False, 0.5)
    if is_correct:
        if hints_used == 0 and earlier_tries == 0:
            return Evidence(True, 1.0)
        # A hint or a first miss did part of the work: 0.6 after one, 0.3 after more.
        return Evidence(True, 0.6 if hints_used + earlier_tries == 1 else 0.3)
    # A first-try miss is full evidence; later misses on the same problem count for less.
    return Evidence(False, 1.0 if earlier_tries == 0 else 0.5)


def posterior_expression(p: Any, evidence: Evidence, params: BktParams) -> Any:
    """The updated probability of knowing, for ``p`` a float or a SQL column expression."""
    s, g, w = params.slip, params.guess, evidence.weight
    if evidence.correct:
        post = p * (1 - s) / (p * (1 - s) + (1 - p) * g)
    else:
        post = p * s / (p * s + (1 - p) * (1 - g))
    blended = p + (post - p) * w
    return blended + (1 - blended) * params.learn


def update(p: float, evidence: Evidence, params: BktParams = DEFAULT_PARAMS) -> float:
    """The probability of knowing the topic after this answer."""
    return float(posterior_expression(p, evidence, params))


def predicted_correct(p: float, params: BktParams = DEFAULT_PARAMS) -> float:
    """The chance of a first-try success now: what the model's estimate predicts."""
    return p * (1 - params.slip) + (1 - p) * params.guess


def level(p: float | None, attempts: int) -> Level:
    """What people are shown: not started / practising / familiar / mastered."""
    if p is None or attempts == 0:
        return "not_started"
    if p >= MASTERED:
        return "mastered"
    if p >= FAMILIAR:
        return "familiar"
    return "practising"


def day_number(day: dt.date) -> int:
    """A local date as a day count (stored, so SQL compares and adds plain integers)."""
    return (day - _EPOCH).days


def date_of(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=day)


@dataclass(frozen=True, slots=True)
class Review:
    """Where a topic stands on the review ladder."""

    stage: int
    due_day: int


def first_review(today: int) -> Review:
    """A topic practised for the first time comes back tomorrow."""
    return Review(0, today + INTERVALS[0])


Schedule = Literal["reset", "climb", "keep"]


def schedule_of(evidence: Evidence) -> Schedule:
    """A first-try miss starts the ladder again; a clean success may climb it (if the review
    was due); anything else (a hint, a second try, a skip) leaves it as it is."""
    if evidence.weight < 1.0:
        return "keep"
    return "climb" if evidence.correct else "reset"


def next_review(review: Review, today: int, evidence: Evidence) -> Review:
    """The review after this answer (the database applies the same rule in SQL)."""
    kind = schedule_of(evidence)
    if kind == "reset":
        return Review(0, today + INTERVALS[0])
    if kind == "climb" and today >= review.due_day:
        stage = min(review.stage + 1, len(INTERVALS) - 1)
        return Review(stage, today + INTERVALS[stage])
    return review


def mastery_write(
    *, student_id: int, grade: int, topic: str, day: int, evidence: Evidence
) -> MasteryWrite:
    """One graded answer's change to a topic's row, as the database applies it in the
    answer's own statement (also used by ``bench.learning``, so the simulation runs the same
    SQL): this module's arithmetic over the stored column."""
    params = params_for(topic)
    return MasteryWrite(
        student_id=student_id,
        grade=grade,
        topic=topic,
        today=day,
        correct=evidence.correct,
        p_first=update(params.prior, evidence, params),
        p_after=lambda p: posterior_expression(p, evidence, params),
        key=(evidence, params),
        schedule=schedule_of(evidence),
        intervals=INTERVALS,
    )
