"""The practice use cases against a real database (PostgreSQL and SQLite)."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select, update

from bot.services import practice
from bot.services.day_streak import save_streak_again, streak_step
from bot.services.deps import Deps
from bot.services.session_step import advance
from db import queries
from db.engine import autocommit_connection
from db.models import PracticeSession, Response, Streak, Student
from tests.conftest import FakeClock
from tests.helpers import next_update_id, onboard, right_answer, wrong_answer

TID = 5550001


async def _count(deps: Deps, model: type) -> int:
    async with deps.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _finish_session(deps: Deps, telegram_id: int = TID) -> practice.AnswerOutcome:
    outcome = await practice.start_practice(deps, telegram_id=telegram_id)
    assert outcome.problem is not None
    view = outcome.problem
    while True:
        result = await practice.submit_answer(
            deps,
            telegram_id=telegram_id,
            answer=right_answer(view.card),
            update_id=next_update_id(),
        )
        assert result.kind == "correct", result
        if result.summary is not None:
            return result
        assert result.next_problem is not None
        view = result.next_problem


async def test_session_has_five_problems_of_the_students_grade(deps, loaded_bank) -> None:
    await onboard(deps, TID, grade=7)
    outcome = await practice.start_practice(deps, telegram_id=TID)
    assert outcome.kind == "problem" and outcome.problem is not None
    assert outcome.problem.total == 5
    async with deps.db() as s:
        session = await s.scalar(select(PracticeSession))
        assert session is not None
        variants = list(zip(session.problem_ids, session.variant_seeds or [], strict=True))
        cards = await deps.problems.get_many(s, variants)
    assert len(set(session.problem_ids)) == 5
    assert {card.key[:2] for card in cards.values()} == {"g7"}


async def test_not_onboarded_student_is_sent_back_to_setup(deps, loaded_bank) -> None:
    outcome = await practice.start_practice(deps, telegram_id=TID)
    assert outcome.kind == "not_onboarded"


async def test_resume_returns_the_same_problem(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    first = await practice.start_practice(deps, telegram_id=TID)
    assert first.problem is not None
    await practice.submit_answer(
        deps, telegram_id=TID, answer=right_answer(first.problem.card), update_id=next_update_id()
    )
    again = await practice.start_practice(deps, telegram_id=TID)
    assert again.resumed and again.problem is not None
    assert again.problem.position == 1
    assert again.problem.session_id == first.problem.session_id


async def test_wrong_then_reveal_records_each_attempt(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    first = await practice.submit_answer(
        deps, telegram_id=TID, answer=wrong_answer(view.card), update_id=next_update_id()
    )
    assert first.kind == "retry"
    second = await practice.submit_answer(
        deps, telegram_id=TID, answer=wrong_answer(view.card), update_id=next_update_id()
    )
    assert second.kind == "revealed"
    assert second.next_problem is not None and second.next_problem.position == 1
    async with deps.db() as s:
        rows = (await s.scalars(select(Response).order_by(Response.id))).all()
    assert [(r.is_correct, r.grader) for r in rows] == [(False, "rule"), (False, "rule")]


async def test_unreadable_answer_records_nothing(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    outcome = await practice.submit_answer(
        deps, telegram_id=TID, answer="🤷", update_id=next_update_id()
    )
    assert outcome.kind == "unreadable"
    assert await _count(deps, Response) == 0
    again = await practice.start_practice(deps, telegram_id=TID)
    assert again.problem is not None and again.problem.position == 0


async def test_same_update_twice_records_one_response(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    update_id = next_update_id()
    first = await practice.submit_answer(
        deps, telegram_id=TID, answer=right_answer(view.card), update_id=update_id
    )
    second = await practice.submit_answer(
        deps, telegram_id=TID, answer=right_answer(view.card), update_id=update_id
    )
    assert (first.kind, second.kind) == ("correct", "duplicate")
    assert await _count(deps, Response) == 1
    resumed = await practice.start_practice(deps, telegram_id=TID)
    assert resumed.problem is not None and resumed.problem.position == 1


async def test_concurrent_copies_of_one_update_step_once(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    update_id = next_update_id()
    outcomes = await asyncio.gather(
        *[
            practice.submit_answer(
                deps, telegram_id=TID, answer=right_answer(view.card), update_id=update_id
            )
            for _ in range(5)
        ],
        return_exceptions=True,
    )
    kinds = sorted(o.kind if isinstance(o, practice.AnswerOutcome) else "error" for o in outcomes)
    assert kinds.count("correct") == 1
    assert await _count(deps, Response) == 1
    resumed = await practice.start_practice(deps, telegram_id=TID)
    assert resumed.problem is not None and resumed.problem.position == 1


async def test_double_tap_of_an_option_steps_once(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    # Two different callback updates for the same button of the same step.
    outcomes = await asyncio.gather(
        *[
            practice.submit_answer(
                deps,
                telegram_id=TID,
                answer=right_answer(view.card),
                update_id=next_update_id(),
                session_id=view.session_id,
                position=view.position,
            )
            for _ in range(2)
        ],
        return_exceptions=True,
    )
    kinds = [o.kind if isinstance(o, practice.AnswerOutcome) else repr(o) for o in outcomes]
    assert kinds.count("correct") == 1, kinds
    assert await _count(deps, Response) == 1


async def test_hints_count_up_to_three_and_are_recorded(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    texts = []
    for level in (1, 2, 3):
        hint = await practice.request_hint(
            deps, telegram_id=TID, session_id=view.session_id, position=0, level=level
        )
        assert hint.kind == "shown" and hint.text
        texts.append(hint.text)
    assert texts == list(view.card.hints["en"])
    repeat = await practice.request_hint(
        deps, telegram_id=TID, session_id=view.session_id, position=0, level=3
    )
    assert repeat.kind == "duplicate"
    fourth = await practice.request_hint(
        deps, telegram_id=TID, session_id=view.session_id, position=0, level=4
    )
    assert fourth.kind == "exhausted"
    await practice.submit_answer(
        deps, telegram_id=TID, answer=right_answer(view.card), update_id=next_update_id()
    )
    async with deps.db() as s:
        response = await s.scalar(select(Response))
    assert response is not None and response.hints_used == 3


async def test_skip_records_and_moves_on(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    outcome = await practice.skip_problem(
        deps,
        telegram_id=TID,
        update_id=next_update_id(),
        session_id=view.session_id,
        position=0,
    )
    assert outcome.kind == "skipped" and outcome.next_problem is not None
    stale = await practice.skip_problem(
        deps,
        telegram_id=TID,
        update_id=next_update_id(),
        session_id=view.session_id,
        position=0,
    )
    assert stale.kind == "stale"
    async with deps.db() as s:
        rows = (await s.scalars(select(Response))).all()
    assert [(r.grader, r.is_correct, r.student_answer) for r in rows] == [("skip", False, None)]


async def test_finished_session_reports_done_and_streak(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    result = await _finish_session(deps)
    assert result.summary is not None
    assert (result.summary.correct, result.summary.total) == (5, 5)
    assert result.summary.streak_current == 1
    again = await practice.start_practice(deps, telegram_id=TID)
    assert again.kind == "done" and again.summary is not None
    assert again.summary.streak_current == 1


async def test_streak_over_local_days_and_milestone(deps, loaded_bank, clock: FakeClock) -> None:
    await onboard(deps, TID)
    clock.set_local("2026-03-10T23:59")
    first = await _finish_session(deps)
    assert first.summary is not None and first.summary.streak_current == 1
    clock.set_local("2026-03-11T00:00")  # one minute later, but a new day in Dhaka
    second = await _finish_session(deps)
    assert second.summary is not None and second.summary.streak_current == 2
    clock.set_local("2026-03-12T05:59")  # still 11 March in UTC; 12 March in Dhaka
    third = await _finish_session(deps)
    assert third.summary is not None and third.summary.streak_current == 3
    assert third.summary.new_milestones == (3,)
    async with deps.db() as s:
        streak = await s.scalar(select(Streak))
    assert streak is not None and streak.milestones_achieved == [3]
    # A missed day with the freeze the milestone earned keeps the streak.
    clock.set_local("2026-03-14T12:00")
    fourth = await _finish_session(deps)
    assert fourth.summary is not None
    assert fourth.summary.used_freeze and fourth.summary.streak_current == 4
    # Two missed days reset it; the longest is kept, the milestone is not celebrated again.
    clock.set_local("2026-03-17T12:00")
    fifth = await _finish_session(deps)
    assert fifth.summary is not None
    assert (fifth.summary.streak_current, fifth.summary.streak_longest) == (1, 4)
    assert fifth.summary.new_milestones == ()


async def test_a_streak_changed_after_the_answer_read_it_counts_on_the_new_row(
    deps, loaded_bank, clock: FakeClock
) -> None:
    """Another process saved the streak between the last answer's read and its write: the
    answer and the session are recorded all the same, and today counts on top of the row
    as it is now, not as it was read."""
    await onboard(deps, TID)
    clock.set_local("2026-03-10T12:00")
    await _finish_session(deps)
    clock.set_local("2026-03-11T12:00")
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    while view is not None and view.position < view.total - 1:
        step = await practice.submit_answer(
            deps, telegram_id=TID, answer=right_answer(view.card), update_id=next_update_id()
        )
        view = step.next_problem
    assert view is not None
    update_id = next_update_id()
    async with autocommit_connection(deps.engine) as conn:
        student, session = await queries.practice.get_answering_student(
            conn, telegram_id=TID, update_id=update_id
        )
    assert student is not None and session is not None and student.streak is not None
    assert student.streak.current == 1
    async with deps.db.begin() as s:  # meanwhile, elsewhere
        await s.execute(update(Streak).values(current=4, longest=4))
    today = dt.date(2026, 3, 11)
    _, write = streak_step(deps, student.id, student.streak, today)
    assert write is not None and write.current == 2  # from the row as read
    async with autocommit_connection(deps.engine) as conn:
        written = await queries.practice.record_answer_once(
            conn,
            current=session,
            response={
                "session_id": session.id,
                "student_id": student.id,
                "problem_id": view.card.id,
                "variant_seed": view.card.seed,
                "student_answer": right_answer(view.card),
                "is_correct": True,
                "confidence_score": 1.0,
                "hints_used": 0,
                "grader": "rule",
                "idempotency_key": update_id,
            },
            values=advance(
                session, is_correct=True, skipped=False, attempts_per_problem=2
            ).as_values(),
            streak=write,
        )
        assert written.recorded and not written.streak_saved
        again = await save_streak_again(deps, conn, student.id, today)
    assert (again.state.current, again.state.longest) == (5, 5)
    async with deps.db() as s:
        streak = await s.scalar(select(Streak))
    assert streak is not None and (streak.current, streak.last_practice_date) == (5, today)
    done = await practice.start_practice(deps, telegram_id=TID)
    assert done.kind == "done" and done.summary is not None
    assert done.summary.streak_current == 5


async def test_same_day_twice_changes_nothing(deps, loaded_bank, clock: FakeClock) -> None:
    await onboard(deps, TID)
    await _finish_session(deps)
    again = await practice.start_practice(deps, telegram_id=TID)
    assert again.kind == "done"
    async with deps.db() as s:
        streak = await s.scalar(select(Streak))
    assert streak is not None and streak.current == 1


async def test_unfinished_session_carries_over_to_the_next_day(
    deps, loaded_bank, clock: FakeClock
) -> None:
    await onboard(deps, TID)
    first = await practice.start_practice(deps, telegram_id=TID)
    assert first.problem is not None
    clock.advance(days=1)
    again = await practice.start_practice(deps, telegram_id=TID)
    assert again.resumed and again.problem is not None
    assert again.problem.session_id == first.problem.session_id


async def test_bengali_digits_grade_like_latin(deps, loaded_bank) -> None:
    await onboard(deps, TID, language="bn")
    outcome = await practice.start_practice(deps, telegram_id=TID)
    view = outcome.problem
    assert view is not None
    # Skip forward to a numeric problem with an integer answer.
    for _ in range(5):
        if (
            view.card.answer_type == "numeric"
            and view.card.answer_key.answer.lstrip("-").isdigit()
        ):
            break
        step = await practice.skip_problem(
            deps,
            telegram_id=TID,
            update_id=next_update_id(),
            session_id=view.session_id,
            position=view.position,
        )
        assert step.next_problem is not None
        view = step.next_problem
    else:
        raise AssertionError("no integer problem in the session")
    bengali = view.card.answer_key.answer.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    result = await practice.submit_answer(
        deps, telegram_id=TID, answer=bengali, update_id=next_update_id()
    )
    assert result.kind == "correct" and result.lang == "bn"


async def test_writing_again_makes_an_unreachable_student_reachable(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    async with deps.db.begin() as s:
        student = await s.scalar(select(Student).where(Student.telegram_id == TID))
        assert student is not None
        student.reachable = False
    await practice.submit_answer(deps, telegram_id=TID, answer="12", update_id=next_update_id())
    async with deps.db() as s:
        student = await s.scalar(select(Student).where(Student.telegram_id == TID))
    assert student is not None and student.reachable is True


async def test_session_finished_after_midnight_counts_for_its_own_day(
    deps, loaded_bank, clock: FakeClock
) -> None:
    await onboard(deps, TID)
    clock.set_local("2026-03-01T18:00")
    await _finish_session(deps)
    clock.set_local("2026-03-02T23:55")
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    clock.set_local("2026-03-03T00:05")  # finished five minutes after midnight
    while True:
        result = await practice.submit_answer(
            deps, telegram_id=TID, answer=right_answer(view.card), update_id=next_update_id()
        )
        if result.summary is not None:
            break
        assert result.next_problem is not None
        view = result.next_problem
    assert result.summary.streak_current == 2
    clock.set_local("2026-03-03T19:00")
    third = await _finish_session(deps)
    assert third.summary is not None and third.summary.streak_current == 3


async def test_practising_clears_a_forgotten_name_prompt(deps, loaded_bank) -> None:
    from bot.services import students

    await onboard(deps, TID)
    await students.await_input(deps, telegram_id=TID, what="name")
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    outcome = await practice.submit_answer(
        deps, telegram_id=TID, answer=right_answer(view.card), update_id=next_update_id()
    )
    assert outcome.kind == "correct"
    profile = await students.get_profile(deps, telegram_id=TID)
    assert profile is not None and profile.name == "Rahim"


async def test_a_replayed_tap_is_a_duplicate_not_a_stale_button(deps, loaded_bank) -> None:
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    update_id = next_update_id()
    first = await practice.skip_problem(
        deps, telegram_id=TID, update_id=update_id, session_id=view.session_id, position=0
    )
    assert first.kind == "skipped"
    replay = await practice.submit_answer(
        deps,
        telegram_id=TID,
        answer="A",
        update_id=update_id,
        session_id=view.session_id,
        position=0,
        choice=0,
    )
    assert replay.kind == "duplicate"


async def test_a_tapped_option_is_graded_by_position(deps, tmp_path) -> None:
    from bot.services.banks import load_banks
    from problems.bank import parse_banks

    bank = tmp_path / "letters.yaml"
    bank.write_text(
        "\n".join(
            f"""- id: letters-{i}
  grade: 6
  topic: algebra
  difficulty: 1
  question: {{en: "Which letter is the variable in 3b + 1?", bn: "৩b + ১ এ চলক কোনটি?"}}
  answer_type: multiple_choice
  answer: "b"
  options: {{en: ["b", "a", "c"], bn: ["b", "a", "c"]}}
"""
            for i in range(5)
        ),
        encoding="utf-8",
    )
    parsed = parse_banks([bank])
    assert not parsed.errors, parsed.errors
    await load_banks(deps.db, parsed)
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    # Button A is the option "b": right, although the letter "B" would name option "a".
    right = await practice.submit_answer(
        deps,
        telegram_id=TID,
        answer="A",
        update_id=next_update_id(),
        session_id=view.session_id,
        position=0,
        choice=0,
    )
    assert right.kind == "correct"


def test_bengali_students_see_word_answers_in_bengali(sample_bank) -> None:
    from bot.services.cards import ProblemCard
    from db.models import Problem

    spec = next(p.spec for p in sample_bank.problems if p.spec.answer_type == "text")
    row = Problem(
        id=1,
        key=spec.id,
        topic=spec.topic,
        difficulty=spec.difficulty,
        question_en=spec.question.en,
        question_bn=spec.question.bn,
        answer=spec.answer,
        answer_type=spec.answer_type.value,
        accept=list(spec.accept),
    )
    card = ProblemCard.from_row(row)
    shown = card.answer_display("bn")
    assert any("\u0980" <= ch <= "\u09ff" for ch in shown), shown
    assert card.answer_display("en") == spec.answer
