"""Mastery: the model's rules as tables (no database), then the same rules as the graded answer
applies them in SQL, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.services import placement, practice, privacy
from bot.services.deps import Deps
from bot.services.mastery import (
    DEFAULT_PARAMS,
    INTERVALS,
    Evidence,
    Review,
    day_number,
    evidence_of,
    level,
    next_review,
    update,
)
from db.models import Placement, TopicMastery
from tests.conftest import FakeClock
from tests.helpers import next_update_id, onboard, right_answer, wrong_answer

TID = 5551212


@pytest.mark.parametrize(
    ("is_correct", "grader", "hints", "tries", "expected"),
    [
        (True, "rule", 0, 0, Evidence(True, 1.0)),
        (True, "rule", 1, 0, Evidence(True, 0.6)),  # a hint did part of the work
        (True, "rule", 0, 1, Evidence(True, 0.6)),  # right on the second try
        (True, "model", 2, 1, Evidence(True, 0.3)),
        (False, "rule", 0, 0, Evidence(False, 1.0)),
        (False, "rule", 0, 1, Evidence(False, 0.5)),  # the second miss of one problem
        (False, "skip", 0, 0, Evidence(False, 0.5)),
        (False, "form", 0, 0, None),  # the right value in another shape: no evidence
    ],
)
def test_what_an_answer_says(is_correct, grader, hints, tries, expected) -> None:
    assert (
        evidence_of(is_correct=is_correct, grader=grader, hints_used=hints, earlier_tries=tries)
        == expected
    )


def test_a_clean_success_counts_more_than_a_helped_one_and_a_miss_lowers() -> None:
    p = 0.5
    clean = update(p, Evidence(True, 1.0))
    helped = update(p, Evidence(True, 0.6))
    missed = update(p, Evidence(False, 1.0))
    assert clean > helped > p > missed
    # Only the learning step moves a probability when the answer says nothing.
    assert update(p, Evidence(True, 0.0)) == pytest.approx(p + (1 - p) * DEFAULT_PARAMS.learn)


def test_steady_first_try_successes_reach_mastered() -> None:
    p, answers = DEFAULT_PARAMS.prior, 0
    while level(p, answers or 1) != "mastered":
        p, answers = update(p, Evidence(True, 1.0)), answers + 1
    assert 3 <= answers <= 6
    assert level(None, 0) == "not_started"
    assert level(0.3, 2) == "practising"
    assert level(0.7, 4) == "familiar"


@pytest.mark.parametrize(
    ("review", "today", "evidence", "expected"),
    [
        (Review(0, 11), 11, Evidence(True, 1.0), Review(1, 11 + INTERVALS[1])),  # due: climbs
        (Review(1, 14), 12, Evidence(True, 1.0), Review(1, 14)),  # not due yet: stays
        (Review(3, 30), 31, Evidence(True, 1.0), Review(4, 31 + 30)),
        (Review(4, 60), 70, Evidence(True, 1.0), Review(4, 70 + 30)),  # the top rung
        (Review(3, 30), 31, Evidence(False, 1.0), Review(0, 32)),  # a miss: tomorrow again
        (Review(3, 30), 31, Evidence(True, 0.6), Review(3, 30)),  # a hint: no climb
        (Review(3, 30), 31, Evidence(False, 0.5), Review(3, 30)),  # a skip: no reset
    ],
)
def test_review_ladder(review, today, evidence, expected) -> None:
    assert next_review(review, today, evidence) == expected


async def _row(deps: Deps) -> TopicMastery:
    async with deps.db() as s:
        row = await s.scalar(select(TopicMastery))
    assert row is not None
    return row


async def test_graded_answers_update_the_topic_in_the_answers_transaction(
    deps: Deps, loaded_bank, clock: FakeClock
) -> None:
    """The database applies the pure rules exactly: wrong, then right on the second try,
    then (next day, the review due) right first time."""
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    card = view.card
    today = day_number(clock.now.astimezone(dt.timezone(dt.timedelta(hours=6))).date())

    await practice.submit_answer(
        deps, telegram_id=TID, answer=wrong_answer(card), update_id=next_update_id()
    )
    row = await _row(deps)
    p = update(DEFAULT_PARAMS.prior, Evidence(False, 1.0))
    assert (row.topic, row.grade, row.attempts, row.correct) == (card.topic, 6, 1, 0)
    assert row.p_known == pytest.approx(p)
    assert (row.stage, row.due_day, row.last_day) == (0, today + 1, today)

    # The same update again (a redelivery) changes nothing.
    uid = next_update_id()
    await practice.submit_answer(deps, telegram_id=TID, answer=right_answer(card), update_id=uid)
    await practice.submit_answer(deps, telegram_id=TID, answer=right_answer(card), update_id=uid)
    row = await _row(deps)
    p = update(p, Evidence(True, 0.6))
    assert (row.attempts, row.correct) == (2, 1)
    assert row.p_known == pytest.approx(p)
    assert (row.stage, row.due_day) == (0, today + 1)  # a second-try success does not climb


async def test_an_unreadable_answer_changes_no_mastery(deps: Deps, loaded_bank) -> None:
    await onboard(deps, TID)
    assert (await practice.start_practice(deps, telegram_id=TID)).problem is not None
    outcome = await practice.submit_answer(
        deps, telegram_id=TID, answer="🤷", update_id=next_update_id()
    )
    assert outcome.kind == "unreadable"
    async with deps.db() as s:
        assert await s.scalar(select(TopicMastery)) is None


async def test_deleting_my_data_removes_mastery_and_a_check_in_progress(
    deps: Deps, loaded_bank
) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    await practice.submit_answer(
        deps, telegram_id=TID, answer=right_answer(view.card), update_id=next_update_id()
    )
    assert (await placement.start(deps, telegram_id=TID)).kind == "problem"
    await privacy.delete_my_data(deps, telegram_id=TID, language_code=None)
    async with deps.db() as s:
        assert await s.scalar(select(TopicMastery)) is None
        assert await s.scalar(select(Placement)) is None
