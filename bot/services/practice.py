"""The daily session: start or resume it, grade answers, give hints, skip, finish with a streak.

Every function owns its unit of work (the answer path: one read and one write statement on
a Core connection, no transaction on PostgreSQL) and returns a small frozen outcome for the
handler to render. Idempotency: a Response is unique per Telegram update id, and every
change to a session is a compare-and-set on its current step, so redelivered updates and
double taps change nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.services import mastery
from bot.services.cards import ProblemCard
from bot.services.clock import local_date
from bot.services.daily import todays_variants
from bot.services.day_streak import save_streak_again, snapshot_state, streak_step
from bot.services.deps import Deps
from bot.services.digits import has_other_digits
from bot.services.model_wait import waiting_for_model
from bot.services.session_step import advance
from bot.services.streaks import StreakState
from db import queries
from db.engine import autocommit_connection
from db.models import PracticeSession
from db.queries.practice import AnsweringStudent, OpenSession
from problems.checking import Verdict, check_answer
from problems.types import AnswerForm, AnswerType

if TYPE_CHECKING:
    from bot.services.llm import ModelVerdict


@dataclass(frozen=True, slots=True)
class ProblemView:
    """What the student sees of the current problem."""

    session_id: int
    position: int
    total: int
    card: ProblemCard
    hints_used: int
    hints_shown: tuple[str, ...] = ()
    extra: int = 0  # an extra set after the day's session (its number), else 0


@dataclass(frozen=True, slots=True)
class SessionSummary:
    correct: int
    total: int
    hints: int
    streak_current: int
    streak_longest: int
    new_milestones: tuple[int, ...] = ()
    used_freeze: bool = False
    extra: bool = False  # an extra set: no streak day of its own


@dataclass(frozen=True, slots=True)
class PracticeOutcome:
    kind: Literal["problem", "done", "no_problems", "not_onboarded"]
    lang: str
    problem: ProblemView | None = None
    resumed: bool = False
    short_of: int | None = None
    summary: SessionSummary | None = None
    grade: int | None = None


AnswerKind = Literal[
    "done_today",
    "other_digits",
    "correct",
    "retry",
    "needs_form",
    "revealed",
    "skipped",
    "unreadable",
    "duplicate",
    "stale",
    "no_session",
    "not_onboarded",
    "awaiting_input",
    "placing",
]


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    kind: AnswerKind
    lang: str
    answer_type: AnswerType | None = None
    card: ProblemCard | None = None
    next_problem: ProblemView | None = None
    summary: SessionSummary | None = None
    current: ProblemView | None = None
    # needs_form: the shape the answer must take (the value was right).
    needs: AnswerForm | None = None


@dataclass(frozen=True, slots=True)
class HintOutcome:
    kind: Literal["shown", "duplicate", "stale", "no_session", "exhausted"]
    lang: str
    problem: ProblemView | None = None
    text: str | None = None


async def start_practice(deps: Deps, *, telegram_id: int, more: bool = False) -> PracticeOutcome:
    """Today's session: resume the unfinished one, say so if done, or choose new problems.

    ``more``: the student asked for more practice; once today's session is done, that is a
    new extra set (mastery and the record count it; the streak already has its day)."""
    now = deps.clock()
    async with deps.db.begin() as s:
        student, open_session = await queries.practice.get_answering_student(
            await s.connection(), telegram_id=telegram_id
        )
        if student is None or student.grade is None:
            return PracticeOutcome(
                kind="not_onboarded", lang=student.language if student else "en"
            )
        lang = student.language
        if not student.reachable or student.awaiting is not None:
            # They wrote to us again; asking to practise ends a name or reminder prompt.
            await queries.students.ready_to_practise(s, student_id=student.id)
        today = local_date(now, student.timezone)
        if open_session is not None:
            if open_session.local_date != today:
                # Yesterday's unfinished session carries over to today, if today has none.
                # An extra set left unfinished becomes today's session: never a second one.
                existing = await queries.practice.get_session_for_day(
                    s, student_id=student.id, local_date=today
                )
                if existing is None and await queries.practice.step_session_if_unchanged(
                    await s.connection(),
                    current=open_session,
                    values={"local_date": today, "extra": 0},
                ):
                    open_session = replace(open_session, local_date=today, extra=0)
            view = await _view(deps, s, open_session, lang)
            return PracticeOutcome(kind="problem", lang=lang, problem=view, resumed=True)
        todays = await queries.practice.get_session_for_day(
            s, student_id=student.id, local_date=today
        )
        extra = 0
        if todays is not None:
            if not more:
                return PracticeOutcome(
                    kind="done",
                    lang=lang,
                    summary=await _summary(s, todays, student.id, today),
                )
            extra = 1 + await queries.practice.extra_sets_on(
                s, student_id=student.id, local_date=today
            )
        ids = await todays_variants(
            s,
            student_id=student.id,
            grade=student.grade,
            today=today,
            count=deps.settings.problems_per_session,
            extra=extra,
        )
        if ids is None:
            return PracticeOutcome(kind="no_problems", lang=lang, grade=student.grade)
        created = await queries.practice.create_session_once(
            s, student_id=student.id, local_date=today, variants=ids, extra=extra
        )
        view = await _view(deps, s, queries.practice.open_session_of(created), lang)
        resumed = created.position > 0
        short = len(ids) if len(ids) < deps.settings.problems_per_session else None
        return PracticeOutcome(
            kind="problem", lang=lang, problem=view, resumed=resumed, short_of=short
        )


async def submit_answer(
    deps: Deps,
    *,
    telegram_id: int,
    answer: str,
    update_id: int,
    session_id: int | None = None,
    position: int | None = None,
    choice: int | None = None,
    on_model_call: Callable[[], Awaitable[None]] | None = None,
) -> AnswerOutcome:
    """Grade a typed answer (or a tapped option, ``choice`` = its index) and move on.

    Rules grade first. Only a written (``text``) answer the rules found wrong goes to the
    language model, outside any transaction; ``on_model_call`` lets the chat show "typing…".
    """
    first = await _submit(deps, telegram_id, answer, update_id, session_id, position, choice)
    if not isinstance(first, _AskModel):
        return first
    assert deps.llm is not None
    async with waiting_for_model():
        if on_model_call is not None:
            await on_model_call()
        verdict = await deps.llm.grade_text_answer(
            card=first.card,
            answer=answer,
            language=first.student.language,
            student_id=first.student.id,
        )
    return await _record_model_verdict(deps, first, verdict, answer, update_id)


@dataclass(frozen=True, slots=True)
class _AskModel:
    """The rules said no to a written answer: ask the model before recording anything."""

    card: ProblemCard
    student: AnsweringStudent
    practice: OpenSession


async def _submit(
    deps: Deps,
    telegram_id: int,
    answer: str,
    update_id: int,
    session_id: int | None,
    position: int | None,
    choice: int | None = None,
) -> AnswerOutcome | _AskModel:
    # One read and one write on a Core connection, each a statement of its own: on
    # PostgreSQL no transaction (BEGIN, COMMIT), the write being atomic by itself.
    async with autocommit_connection(deps.engine) as conn:
        student, practice = await queries.practice.get_answering_student(
            conn, telegram_id=telegram_id, update_id=update_id
        )
        if student is None or student.grade is None:
            return AnswerOutcome(kind="not_onboarded", lang=student.language if student else "en")
        lang = student.language
        if not student.reachable:
            # They wrote to us again: reminders may resume.
            await queries.practice.set_student_reachable(conn, student_id=student.id)
        if student.awaiting in ("name", "reminder"):
            return AnswerOutcome(kind="awaiting_input", lang=lang)
        if student.awaiting == "placement":
            return AnswerOutcome(kind="placing", lang=lang)  # an answer to the check
        if practice is None:
            return await _no_session(deps, student)
        stale = session_id is not None and (session_id, position) != (
            practice.id,
            practice.position,
        )
        if stale:
            if student.update_recorded:
                return AnswerOutcome(kind="duplicate", lang=lang)  # a replay of a used tap
            return await _stale(deps, practice, lang)
        # Only this variant is made; its session's problems are read with it if not in memory.
        card = await deps.problems.get(conn, practice.current, along=practice.variants)
        if choice is None and has_other_digits(answer):
            # Digits we do not read (٧, ७…): ask for 0–9 or ০–৯; nothing is counted.
            return AnswerOutcome(
                kind="other_digits", lang=lang, card=card, current=_plain_view(practice, card)
            )
        verdict = _grade_choice(card, choice) if choice is not None else None
        needs: AnswerForm | None = None
        if verdict is None:
            result = check_answer(card.answer_key, answer)
            verdict, needs = result.verdict, result.needs
        if verdict is Verdict.UNREADABLE:
            # Our reading failed, not the student: nothing is recorded, they answer again.
            return AnswerOutcome(
                kind="unreadable",
                lang=lang,
                answer_type=card.answer_type,
                card=card,
                current=_plain_view(practice, card),
            )
        if verdict is Verdict.NEEDS_FORM:
            # The right value in another shape: recorded as such (never as wrong), and the
            # student is asked for the shape the problem wants.
            recorded = await queries.practice.record_response_once(
                conn,
                session_id=practice.id,
                student_id=student.id,
                problem_id=card.id,
                variant_seed=card.seed,
                student_answer=answer[:500],
                is_correct=False,
                confidence_score=None,
                hints_used=practice.hints_on_current,
                grader="form",
                idempotency_key=update_id,
                created_at=deps.clock(),
            )
            if recorded is None:
                return AnswerOutcome(kind="duplicate", lang=lang)
            return AnswerOutcome(
                kind="needs_form",
                lang=lang,
                answer_type=card.answer_type,
                card=card,
                needs=needs,
                current=_plain_view(practice, card),
            )
        if (
            verdict is Verdict.INCORRECT
            and card.answer_type is AnswerType.TEXT
            and deps.llm is not None
        ):
            if student.update_recorded:
                return AnswerOutcome(kind="duplicate", lang=lang)  # don't pay twice
            return _AskModel(card, student, practice)
        return await _record(
            deps,
            conn,
            student=student,
            practice=practice,
            card=card,
            update_id=update_id,
            student_answer=answer[:500],
            is_correct=verdict is Verdict.CORRECT,
            grader="rule",
            confidence=1.0,
        )


def _grade_choice(card: ProblemCard, choice: int) -> Verdict | None:
    """A tapped option is graded by its position, never re-read as text; None if not a choice."""
    key = card.answer_key
    if key.answer_type is not AnswerType.MULTIPLE_CHOICE:
        return None
    if not 0 <= choice < len(key.options_en):
        return Verdict.UNREADABLE
    return Verdict.CORRECT if key.options_en[choice] == key.answer else Verdict.INCORRECT


async def _record_model_verdict(
    deps: Deps, asked: _AskModel, verdict: ModelVerdict | None, answer: str, update_id: int
) -> AnswerOutcome:
    # Nothing is read again: the write's compare-and-set on the session's step fails if
    # anything moved it while the model thought (then this answer is a duplicate). In this
    # process nothing can: the student's next update waits.
    async with autocommit_connection(deps.engine) as conn:
        # No verdict (model down, over budget, refused): the rules' "incorrect" stands.
        return await _record(
            deps,
            conn,
            student=asked.student,
            practice=asked.practice,
            card=asked.card,
            update_id=update_id,
            student_answer=answer[:500],
            is_correct=verdict is not None and verdict.is_correct,
            grader="model" if verdict is not None else "rule",
            confidence=verdict.confidence if verdict is not None else 1.0,
        )


async def skip_problem(
    deps: Deps, *, telegram_id: int, update_id: int, session_id: int, position: int
) -> AnswerOutcome:
    """Give up on the current problem: record the skip, show the answer, go on."""
    async with autocommit_connection(deps.engine) as conn:
        student, practice = await queries.practice.get_answering_student(
            conn, telegram_id=telegram_id
        )
        if student is None or student.grade is None:
            return AnswerOutcome(kind="not_onboarded", lang=student.language if student else "en")
        lang = student.language
        if practice is None:
            return await _no_session(deps, student)
        if (session_id, position) != (practice.id, practice.position):
            return await _stale(deps, practice, lang)
        card = await deps.problems.get(conn, practice.current, along=practice.variants)
        return await _record(
            deps,
            conn,
            student=student,
            practice=practice,
            card=card,
            update_id=update_id,
            student_answer=None,
            is_correct=False,
            grader="skip",
            confidence=None,
        )


async def _record(
    deps: Deps,
    conn: AsyncConnection,
    *,
    student: AnsweringStudent,
    practice: OpenSession,
    card: ProblemCard,
    update_id: int,
    student_answer: str | None,
    is_correct: bool,
    grader: str,
    confidence: float | None,
) -> AnswerOutcome:
    lang = student.language
    step = advance(
        practice,
        is_correct=is_correct,
        skipped=grader == "skip",
        attempts_per_problem=deps.settings.attempts_per_problem,
    )
    values = step.as_values()
    if step.completed:
        values["completed_at"] = deps.clock()
    evidence = mastery.evidence_of(
        is_correct=is_correct,
        grader=grader,
        hints_used=practice.hints_on_current,
        earlier_tries=practice.wrong_on_current,
    )
    # The day's session done: the streak it earns is saved in the answer's own write.
    streak = streak_write = None
    if step.completed and not practice.extra:
        streak, streak_write = streak_step(deps, student.id, student.streak, practice.local_date)
    # The session's compare-and-set step, and only if it matched the Response and the rest.
    written = await queries.practice.record_answer_once(
        conn,
        current=practice,
        response={
            "session_id": practice.id,
            "student_id": student.id,
            "problem_id": card.id,
            "variant_seed": card.seed,
            "student_answer": student_answer,
            "is_correct": is_correct,
            "confidence_score": confidence,
            "hints_used": practice.hints_on_current,
            "grader": grader,
            "idempotency_key": update_id,
        },
        values=values,
        # The answer's change to its topic's mastery, applied in the answer's own write.
        mastery=None
        if evidence is None or student.grade is None
        else mastery.mastery_write(
            student_id=student.id,
            grade=student.grade,
            topic=card.topic,
            day=mastery.day_number(practice.local_date),
            evidence=evidence,
        ),
        streak=streak_write,
    )
    if not written.recorded:
        # Another copy of this update (or a double tap) moved the session first.
        return AnswerOutcome(kind="duplicate", lang=lang)

    if not step.finished_problem:
        # The verdict carries the problem's own buttons: no scrolling up for Hint or Skip.
        return AnswerOutcome(
            kind="retry",
            lang=lang,
            answer_type=card.answer_type,
            card=card,
            current=_plain_view(practice, card),
        )
    kind: AnswerKind = "correct" if is_correct else "skipped" if grader == "skip" else "revealed"
    total = len(practice.problem_ids)
    if step.completed and practice.extra:
        # An extra set: the streak already has this day (from the day's session).
        seen = student.streak
        summary = SessionSummary(
            correct=step.correct_count,
            total=total,
            hints=step.hints_total,
            streak_current=seen.current if seen else 0,
            streak_longest=seen.longest if seen else 0,
            extra=True,
        )
        return AnswerOutcome(kind=kind, lang=lang, card=card, summary=summary)
    if step.completed:
        assert streak is not None
        if streak_write is not None and not written.streak_saved:
            # Rare: the streak row changed since this answer's first query read it.
            streak = await save_streak_again(deps, conn, student.id, practice.local_date)
        summary = SessionSummary(
            correct=step.correct_count,
            total=total,
            hints=step.hints_total,
            streak_current=streak.state.current,
            streak_longest=streak.state.longest,
            new_milestones=streak.new_milestones,
            used_freeze=streak.used_freeze,
        )
        return AnswerOutcome(kind=kind, lang=lang, card=card, summary=summary)
    next_position = step.position
    next_card = await deps.problems.get(
        conn, practice.variants[next_position], along=practice.variants
    )
    next_view = ProblemView(
        session_id=practice.id,
        position=next_position,
        total=total,
        card=next_card,
        hints_used=0,
        extra=practice.extra,
    )
    return AnswerOutcome(kind=kind, lang=lang, card=card, next_problem=next_view)


def _plain_view(practice: OpenSession, card: ProblemCard) -> ProblemView:
    """The current problem's view for its buttons (the hints' texts are not read)."""
    return ProblemView(
        session_id=practice.id,
        position=practice.position,
        total=len(practice.problem_ids),
        card=card,
        hints_used=practice.hints_on_current,
        extra=practice.extra,
    )


async def where_am_i(deps: Deps, *, telegram_id: int) -> AnswerOutcome:
    """For an old or unknown button: the open problem again, today's done, or none yet."""
    async with deps.db.begin() as s:
        student, practice = await queries.practice.get_answering_student(
            await s.connection(), telegram_id=telegram_id
        )
        if student is None or student.grade is None:
            return AnswerOutcome(kind="not_onboarded", lang=student.language if student else "en")
        if practice is None:
            return await _no_session(deps, student)
        view = await _view(deps, s, practice, student.language)
        return AnswerOutcome(kind="stale", lang=student.language, current=view)


async def _no_session(deps: Deps, student: AnsweringStudent) -> AnswerOutcome:
    """A message with no problem open: today's session is done (say so), or not started."""
    today = local_date(deps.clock(), student.timezone)
    async with deps.db() as s:
        todays = await queries.practice.get_session_for_day(
            s, student_id=student.id, local_date=today
        )
        if todays is None:
            return AnswerOutcome(kind="no_session", lang=student.language)
        summary = await _summary(s, todays, student.id, today)
    return AnswerOutcome(kind="done_today", lang=student.language, summary=summary)


async def _stale(deps: Deps, practice: OpenSession, lang: str) -> AnswerOutcome:
    """An answer or tap for a step the session has left: the current problem again."""
    async with deps.db() as s:
        return AnswerOutcome(kind="stale", lang=lang, current=await _view(deps, s, practice, lang))


async def _summary(
    s: AsyncSession, practice: PracticeSession, student_id: int, today: dt.date
) -> SessionSummary:
    seen = await queries.practice.streak_snapshot(await s.connection(), student_id=student_id)
    state = snapshot_state(seen) if seen is not None else StreakState()
    return SessionSummary(
        correct=practice.correct_count,
        total=len(practice.problem_ids),
        hints=practice.hints_total,
        streak_current=state.current,
        streak_longest=state.longest,
    )


async def _view(deps: Deps, s: AsyncSession, practice: OpenSession, lang: str) -> ProblemView:
    card = await deps.problems.get(s, practice.current, along=practice.variants)
    shown = tuple(
        [
            await hint_text(deps, s, card, lang, level)
            for level in range(1, practice.hints_on_current + 1)
        ]
    )
    return ProblemView(
        session_id=practice.id,
        position=practice.position,
        total=len(practice.problem_ids),
        card=card,
        hints_used=practice.hints_on_current,
        hints_shown=shown,
        extra=practice.extra,
    )


async def request_hint(
    deps: Deps,
    *,
    telegram_id: int,
    session_id: int,
    position: int,
    level: int,
    on_model_call: Callable[[], Awaitable[None]] | None = None,
) -> HintOutcome:
    """Reveal hint ``level`` (1–3) of the current problem, once, and count it."""
    async with deps.db.begin() as s:
        student, practice = await queries.practice.get_answering_student(
            await s.connection(), telegram_id=telegram_id
        )
        lang = student.language if student else "en"
        if student is None or practice is None:
            return HintOutcome(kind="no_session", lang=lang)
        if (session_id, position) != (practice.id, practice.position):
            return HintOutcome(kind="stale", lang=lang)
        if level != practice.hints_on_current + 1:
            return HintOutcome(kind="duplicate", lang=lang)
        if level > 3:
            return HintOutcome(kind="exhausted", lang=lang)
        if not await queries.practice.step_session_if_unchanged(
            await s.connection(), current=practice, values={"hints_on_current": level}
        ):
            return HintOutcome(kind="duplicate", lang=lang)
        practice = replace(practice, hints_on_current=level)
        view = await _view(deps, s, practice, lang)
        student_id = student.id
    text = view.hints_shown[-1]
    if not text and deps.llm is not None:
        # The bank has no such hint: the model writes it once, outside any transaction.
        async with waiting_for_model():
            if on_model_call is not None:
                await on_model_call()
            generated = await deps.llm.hint_for(
                card=view.card, language=lang, level=level, student_id=student_id
            )
        if generated:
            text = generated
            view = replace(view, hints_shown=(*view.hints_shown[:-1], generated))
    return HintOutcome(kind="shown", lang=lang, problem=view, text=text)


async def hint_text(deps: Deps, s: AsyncSession, card: ProblemCard, lang: str, level: int) -> str:
    """The bank's hint for this level and language, else a stored generated one, else ""."""
    bank = card.hints.get(lang, ())
    if len(bank) >= level and bank[level - 1]:
        return bank[level - 1]
    stored = await queries.hints.get_generated_hint(
        s, problem_id=card.id, language=lang, level=level
    )
    if stored:
        return stored
    return ""
