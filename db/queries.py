"""Small query functions. They take an AsyncSession, never commit, and hide dialect differences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AuditLog,
    ClassMember,
    CostRecord,
    Delivery,
    GeneratedHint,
    Guardian,
    GuardianLink,
    InviteAttempt,
    InviteCode,
    LlmSpend,
    PracticeSession,
    Problem,
    Response,
    SchoolClass,
    Streak,
    Student,
    Teacher,
)


def _insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT on both PostgreSQL and SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def get_student(session: AsyncSession, *, telegram_id: int) -> Student | None:
    return await session.scalar(select(Student).where(Student.telegram_id == telegram_id))


async def create_student_once(session: AsyncSession, **values: Any) -> Student:
    """Insert a student unless one with this telegram_id exists (two /start at once), then load."""
    stmt = _insert(session, Student).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["telegram_id"]))
    student = await get_student(session, telegram_id=values["telegram_id"])
    assert student is not None
    return student


async def get_student_and_open_session(
    session: AsyncSession, *, telegram_id: int
) -> tuple[Student | None, PracticeSession | None]:
    """One round trip: the student and their latest unfinished practice session, if any."""
    open_session = and_(
        PracticeSession.student_id == Student.id, PracticeSession.status == "in_progress"
    )
    row = (
        await session.execute(
            select(Student, PracticeSession)
            .outerjoin(PracticeSession, open_session)
            .where(Student.telegram_id == telegram_id)
            .order_by(PracticeSession.local_date.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None, None
    return row[0], row[1]


async def get_session_for_day(
    session: AsyncSession, *, student_id: int, local_date: dt.date
) -> PracticeSession | None:
    return await session.scalar(
        select(PracticeSession).where(
            PracticeSession.student_id == student_id, PracticeSession.local_date == local_date
        )
    )


async def create_session_once(
    session: AsyncSession, *, student_id: int, local_date: dt.date, problem_ids: list[int]
) -> PracticeSession:
    """Create the day's session; if a concurrent request already did, return that one."""
    stmt = _insert(session, PracticeSession).values(
        student_id=student_id,
        local_date=local_date,
        problem_ids=problem_ids,
        status="in_progress",
        position=0,
        wrong_on_current=0,
        hints_on_current=0,
        correct_count=0,
        hints_total=0,
        started_at=dt.datetime.now(dt.UTC),
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["student_id", "local_date"]))
    created = await get_session_for_day(session, student_id=student_id, local_date=local_date)
    assert created is not None
    return created


async def insert_response_once(session: AsyncSession, **values: Any) -> int | None:
    """Record a Response; None when this idempotency key (update id) was already recorded."""
    stmt = (
        _insert(session, Response)
        .values(created_at=dt.datetime.now(dt.UTC), **values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Response.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_session_if_unchanged(
    session: AsyncSession,
    *,
    session_id: int,
    position: int,
    wrong_on_current: int,
    hints_on_current: int,
    values: dict[str, Any],
) -> bool:
    """Compare-and-set on the session's step: False if another update moved it first."""
    result = await session.execute(
        update(PracticeSession)
        .where(
            PracticeSession.id == session_id,
            PracticeSession.status == "in_progress",
            PracticeSession.position == position,
            PracticeSession.wrong_on_current == wrong_on_current,
            PracticeSession.hints_on_current == hints_on_current,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get_problems(session: AsyncSession, ids: Sequence[int]) -> list[Problem]:
    if not ids:
        return []
    return list((await session.scalars(select(Problem).where(Problem.id.in_(ids)))).all())


async def active_problem_summaries(
    session: AsyncSession, *, grade: int
) -> list[tuple[int, str, int]]:
    """(id, topic, difficulty) of every problem that may be served to this grade."""
    rows = await session.execute(
        select(Problem.id, Problem.topic, Problem.difficulty)
        .where(Problem.grade == grade, Problem.active.is_(True))
        .order_by(Problem.id)
    )
    return [(r[0], r[1], r[2]) for r in rows]


@dataclass(frozen=True, slots=True)
class ProblemHistory:
    problem_id: int
    attempts: int
    correct: int
    last_wrong_at: dt.datetime | None
    last_correct_at: dt.datetime | None


async def student_history(session: AsyncSession, *, student_id: int) -> list[ProblemHistory]:
    """Per problem: how often this student tried it, got it right, and when they last missed it."""
    wrong_at = func.max(case((Response.is_correct.is_(False), Response.created_at)))
    right_at = func.max(case((Response.is_correct.is_(True), Response.created_at)))
    rows = await session.execute(
        select(
            Response.problem_id,
            func.count(),
            func.sum(case((Response.is_correct.is_(True), 1), else_=0)),
            wrong_at,
            right_at,
        )
        .where(Response.student_id == student_id)
        .group_by(Response.problem_id)
    )
    return [
        ProblemHistory(r[0], int(r[1]), int(r[2] or 0), _aware(r[3]), _aware(r[4])) for r in rows
    ]


def _aware(value: Any) -> dt.datetime | None:
    # Aggregates bypass the column type, so SQLite returns naive UTC (or even text).
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def get_streak_for_update(session: AsyncSession, *, student_id: int) -> Streak | None:
    return await session.scalar(
        select(Streak).where(Streak.student_id == student_id).with_for_update()
    )


async def get_streak(session: AsyncSession, *, student_id: int) -> Streak | None:
    return await session.get(Streak, student_id)


async def get_generated_hint(
    session: AsyncSession, *, problem_id: int, language: str, level: int
) -> str | None:
    return await session.scalar(
        select(GeneratedHint.text).where(
            GeneratedHint.problem_id == problem_id,
            GeneratedHint.language == language,
            GeneratedHint.level == level,
        )
    )


async def store_generated_hint_once(
    session: AsyncSession, *, problem_id: int, language: str, level: int, text: str, model: str
) -> str:
    """Keep the first hint stored for this (problem, language, level); return the stored text."""
    stmt = _insert(session, GeneratedHint).values(
        problem_id=problem_id,
        language=language,
        level=level,
        text=text,
        model=model,
        created_at=dt.datetime.now(dt.UTC),
    )
    await session.execute(
        stmt.on_conflict_do_nothing(index_elements=["problem_id", "language", "level"])
    )
    stored = await get_generated_hint(
        session, problem_id=problem_id, language=language, level=level
    )
    return stored if stored is not None else text


# ---------------------------------------------------------------- parents, teachers, operators
# Every function below that reads a child's data for a parent or a teacher takes the caller's
# own telegram_id and filters by it, so ids that came from a client are never trusted alone.


async def get_guardian(session: AsyncSession, *, telegram_id: int) -> Guardian | None:
    return await session.scalar(select(Guardian).where(Guardian.telegram_id == telegram_id))


async def create_guardian_once(session: AsyncSession, **values: Any) -> Guardian:
    """Insert a guardian unless one with this telegram_id exists, then load it."""
    stmt = _insert(session, Guardian).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["telegram_id"]))
    guardian = await get_guardian(session, telegram_id=values["telegram_id"])
    assert guardian is not None
    return guardian


async def link_guardian_once(
    session: AsyncSession, *, guardian_id: int, student_id: int, now: dt.datetime
) -> bool:
    """Link a guardian to a student; False when they were already linked."""
    stmt = (
        _insert(session, GuardianLink)
        .values(guardian_id=guardian_id, student_id=student_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["guardian_id", "student_id"])
        .returning(GuardianLink.student_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def children_of(session: AsyncSession, *, guardian_telegram_id: int) -> list[Student]:
    """The students linked to the guardian with this Telegram id, by name."""
    rows = await session.scalars(
        select(Student)
        .join(GuardianLink, GuardianLink.student_id == Student.id)
        .join(Guardian, Guardian.id == GuardianLink.guardian_id)
        .where(Guardian.telegram_id == guardian_telegram_id)
        .order_by(Student.name, Student.id)
    )
    return list(rows.all())


async def guardians_of(session: AsyncSession, *, student_telegram_id: int) -> list[Guardian]:
    """The guardians linked to the student with this Telegram id."""
    rows = await session.scalars(
        select(Guardian)
        .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .join(Student, Student.id == GuardianLink.student_id)
        .where(Student.telegram_id == student_telegram_id)
        .order_by(Guardian.id)
    )
    return list(rows.all())


async def delete_guardian_link(
    session: AsyncSession, *, guardian_telegram_id: int, student_id: int
) -> bool:
    """Unlink one child from the guardian with this Telegram id; False if they were not linked."""
    own = select(Guardian.id).where(Guardian.telegram_id == guardian_telegram_id)
    result = await session.execute(
        delete(GuardianLink).where(
            GuardianLink.guardian_id.in_(own), GuardianLink.student_id == student_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_links_of_student(session: AsyncSession, *, student_telegram_id: int) -> int:
    """Unlink every guardian from the student with this Telegram id; how many were linked."""
    own = select(Student.id).where(Student.telegram_id == student_telegram_id)
    result = await session.execute(delete(GuardianLink).where(GuardianLink.student_id.in_(own)))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def insert_invite(session: AsyncSession, **values: Any) -> None:
    session.add(InviteCode(**values))
    await session.flush()


async def get_invite(session: AsyncSession, *, token_hash: str, kind: str) -> InviteCode | None:
    return await session.scalar(
        select(InviteCode).where(InviteCode.token_hash == token_hash, InviteCode.kind == kind)
    )


async def use_parent_invite(
    session: AsyncSession, *, token_hash: str, now: dt.datetime
) -> int | None:
    """Mark a valid, unused parent invite used; its student id, or None if it was not usable.

    One UPDATE … RETURNING, so two people opening the same link at once cannot both use it.
    """
    result = await session.execute(
        update(InviteCode)
        .where(
            InviteCode.token_hash == token_hash,
            InviteCode.kind == "parent",
            InviteCode.used_at.is_(None),
            InviteCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(InviteCode.student_id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()


async def count_failed_attempts(
    session: AsyncSession, *, telegram_id: int, since: dt.datetime
) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(InviteAttempt)
            .where(
                InviteAttempt.telegram_id == telegram_id,
                InviteAttempt.succeeded.is_(False),
                InviteAttempt.attempted_at > since,
            )
        )
        or 0
    )


async def record_invite_attempt(
    session: AsyncSession, *, telegram_id: int, succeeded: bool, now: dt.datetime
) -> None:
    session.add(InviteAttempt(telegram_id=telegram_id, succeeded=succeeded, attempted_at=now))
    await session.flush()


async def get_teacher(session: AsyncSession, *, telegram_id: int) -> Teacher | None:
    return await session.scalar(select(Teacher).where(Teacher.telegram_id == telegram_id))


async def create_teacher_once(session: AsyncSession, **values: Any) -> bool:
    """Register a teacher; False when this Telegram id already was one."""
    stmt = (
        _insert(session, Teacher)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["telegram_id"])
        .returning(Teacher.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def classes_of(session: AsyncSession, *, teacher_telegram_id: int) -> list[SchoolClass]:
    """The classes of the teacher with this Telegram id, oldest first."""
    rows = await session.scalars(
        select(SchoolClass)
        .join(Teacher, Teacher.id == SchoolClass.teacher_id)
        .where(Teacher.telegram_id == teacher_telegram_id)
        .order_by(SchoolClass.id)
    )
    return list(rows.all())


async def get_own_class(
    session: AsyncSession, *, teacher_telegram_id: int, class_id: int
) -> SchoolClass | None:
    """The class with this id, only if the teacher with this Telegram id owns it."""
    return await session.scalar(
        select(SchoolClass)
        .join(Teacher, Teacher.id == SchoolClass.teacher_id)
        .where(SchoolClass.id == class_id, Teacher.telegram_id == teacher_telegram_id)
    )


async def get_class(session: AsyncSession, *, class_id: int) -> SchoolClass | None:
    return await session.get(SchoolClass, class_id)


async def members_of(
    session: AsyncSession, *, class_ids: Sequence[int]
) -> list[tuple[int, Student]]:
    """(class id, student) for every member of these classes, by name."""
    if not class_ids:
        return []
    rows = await session.execute(
        select(ClassMember.class_id, Student)
        .join(Student, Student.id == ClassMember.student_id)
        .where(ClassMember.class_id.in_(class_ids))
        .order_by(Student.name, Student.id)
    )
    return [(row[0], row[1]) for row in rows]


async def count_members(session: AsyncSession, *, class_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(ClassMember).where(ClassMember.class_id == class_id)
        )
        or 0
    )


async def add_member_once(
    session: AsyncSession, *, class_id: int, student_id: int, now: dt.datetime
) -> bool:
    """Put a student in a class; False when they were already in it."""
    stmt = (
        _insert(session, ClassMember)
        .values(class_id=class_id, student_id=student_id, joined_at=now)
        .on_conflict_do_nothing(index_elements=["class_id", "student_id"])
        .returning(ClassMember.student_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


@dataclass(frozen=True, slots=True)
class DayActivity:
    """One student's practice session on one of their local days."""

    student_id: int
    local_date: dt.date
    completed: bool
    hints: int


async def day_activity(
    session: AsyncSession, *, student_ids: Sequence[int], since: dt.date, until: dt.date
) -> list[DayActivity]:
    """The practice sessions of these students between two local dates (both included)."""
    if not student_ids:
        return []
    rows = await session.execute(
        select(
            PracticeSession.student_id,
            PracticeSession.local_date,
            PracticeSession.status,
            PracticeSession.hints_total + PracticeSession.hints_on_current,
        ).where(
            PracticeSession.student_id.in_(student_ids),
            PracticeSession.local_date >= since,
            PracticeSession.local_date <= until,
        )
    )
    return [DayActivity(r[0] or 0, r[1], r[2] == "completed", int(r[3] or 0)) for r in rows]


@dataclass(frozen=True, slots=True)
class TopicAnswers:
    """How one student answered one topic on one local day."""

    student_id: int
    local_date: dt.date
    topic: str
    answers: int
    correct: int


async def topic_answers(
    session: AsyncSession, *, student_ids: Sequence[int], since: dt.date, until: dt.date
) -> list[TopicAnswers]:
    """Answers (skips included) per student, local day and topic between two local dates."""
    if not student_ids:
        return []
    rows = await session.execute(
        select(
            Response.student_id,
            PracticeSession.local_date,
            Problem.topic,
            func.count(),
            func.sum(case((Response.is_correct.is_(True), 1), else_=0)),
        )
        .join(PracticeSession, PracticeSession.id == Response.session_id)
        .join(Problem, Problem.id == Response.problem_id)
        .where(
            Response.student_id.in_(student_ids),
            PracticeSession.local_date >= since,
            PracticeSession.local_date <= until,
        )
        .group_by(Response.student_id, PracticeSession.local_date, Problem.topic)
    )
    return [TopicAnswers(r[0] or 0, r[1], r[2], int(r[3]), int(r[4] or 0)) for r in rows]


async def streaks_of(session: AsyncSession, *, student_ids: Sequence[int]) -> dict[int, Streak]:
    if not student_ids:
        return {}
    rows = await session.scalars(select(Streak).where(Streak.student_id.in_(student_ids)))
    return {row.student_id: row for row in rows}


async def guardians_to_summarise(session: AsyncSession) -> list[Guardian]:
    """Reachable guardians with at least one linked child and a summary turned on."""
    linked = select(GuardianLink.guardian_id)
    rows = await session.scalars(
        select(Guardian)
        .where(
            Guardian.reachable.is_(True),
            Guardian.weekly_summary.is_(True) | Guardian.daily_summary.is_(True),
            Guardian.id.in_(linked),
        )
        .order_by(Guardian.id)
    )
    return list(rows.all())


async def teachers_with_classes(session: AsyncSession) -> list[Teacher]:
    rows = await session.scalars(
        select(Teacher).where(Teacher.id.in_(select(SchoolClass.teacher_id))).order_by(Teacher.id)
    )
    return list(rows.all())


async def delivered(
    session: AsyncSession, *, kind: str, period: str, recipient_ids: Sequence[int]
) -> set[int]:
    """Recipients whose delivery of this kind and period was already sent or given up."""
    if not recipient_ids:
        return set()
    rows = await session.scalars(
        select(Delivery.recipient_id).where(
            Delivery.kind == kind,
            Delivery.period == period,
            Delivery.status.in_(("sent", "gave_up")),
            Delivery.recipient_id.in_(recipient_ids),
        )
    )
    return set(rows.all())


async def add_audit(
    session: AsyncSession,
    *,
    actor_telegram_id: int,
    action: str,
    detail: dict[str, Any],
    now: dt.datetime,
) -> None:
    session.add(
        AuditLog(actor_telegram_id=actor_telegram_id, action=action, detail=detail, created_at=now)
    )
    await session.flush()


async def delete_student(session: AsyncSession, *, telegram_id: int) -> bool:
    """Delete a student row; the foreign keys anonymise or remove everything that pointed at it."""
    student_id = (
        await session.execute(
            delete(Student).where(Student.telegram_id == telegram_id).returning(Student.id)
        )
    ).scalar_one_or_none()
    if student_id is None:
        return False
    # Their share of the model spending is kept by their id, with no key to enforce: it goes
    # too (the day's total for everyone stays as it was).
    await session.execute(delete(LlmSpend).where(LlmSpend.scope == student_id))
    return True


async def delete_guardian(session: AsyncSession, *, telegram_id: int) -> bool:
    result = await session.execute(delete(Guardian).where(Guardian.telegram_id == telegram_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_teacher(session: AsyncSession, *, telegram_id: int) -> bool:
    result = await session.execute(delete(Teacher).where(Teacher.telegram_id == telegram_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_deliveries_to(session: AsyncSession, *, recipient_id: int) -> None:
    await session.execute(delete(Delivery).where(Delivery.recipient_id == recipient_id))


async def count_rows(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def count_active_students(session: AsyncSession, *, since: dt.date) -> int:
    """Students with a practice session on or after this local date."""
    return int(
        await session.scalar(
            select(func.count(func.distinct(PracticeSession.student_id))).where(
                PracticeSession.local_date >= since, PracticeSession.student_id.is_not(None)
            )
        )
        or 0
    )


async def answer_totals(session: AsyncSession) -> tuple[int, int]:
    """(answers, correct answers) over all responses, anonymised ones included."""
    row = (
        await session.execute(
            select(func.count(), func.sum(case((Response.is_correct.is_(True), 1), else_=0)))
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


async def llm_cost_since(session: AsyncSession, *, since: dt.datetime) -> Decimal:
    """What model calls cost since this instant (refused calls cost nothing and are left out)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(CostRecord.cost_usd), 0)).where(
            CostRecord.created_at >= since, CostRecord.status != "budget_exceeded"
        )
    )
    return Decimal(str(total or 0))


async def classes_in_group(session: AsyncSession, *, chat_id: int) -> list[SchoolClass]:
    rows = await session.scalars(select(SchoolClass).where(SchoolClass.group_chat_id == chat_id))
    return list(rows.all())


async def ping(session: AsyncSession) -> None:
    """A trivial round trip, for health checks."""
    await session.execute(select(1))


# ---------------------------------------------------------------- scheduled deliveries


async def insert_delivery_once(
    session: AsyncSession,
    *,
    kind: str,
    recipient_id: int,
    period: str,
    student_id: int | None,
    worker: str,
    now: dt.datetime,
) -> bool:
    """Insert a 'claimed' delivery row; False when one with this key already exists."""
    stmt = (
        _insert(session, Delivery)
        .values(
            kind=kind,
            recipient_id=recipient_id,
            period=period,
            student_id=student_id,
            status="claimed",
            attempts=1,
            claimed_by=worker,
            claimed_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "recipient_id", "period"])
        .returning(Delivery.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


@dataclass(frozen=True, slots=True)
class DeliveryState:
    status: str
    attempts: int
    claimed_at: dt.datetime
    sent_at: dt.datetime | None


async def get_delivery_state(
    session: AsyncSession, *, kind: str, recipient_id: int, period: str
) -> DeliveryState | None:
    """Where the delivery with this key stands, or None when there is none."""
    row = (
        await session.execute(
            select(
                Delivery.status, Delivery.attempts, Delivery.claimed_at, Delivery.sent_at
            ).where(
                Delivery.kind == kind,
                Delivery.recipient_id == recipient_id,
                Delivery.period == period,
            )
        )
    ).first()
    return None if row is None else DeliveryState(row[0], row[1], row[2], row[3])


async def update_delivery(
    session: AsyncSession,
    *,
    kind: str,
    recipient_id: int,
    period: str,
    values: dict[str, Any],
    status_in: Sequence[str],
    claimed_at: dt.datetime | None = None,
    attempts: int | None = None,
    claimed_by: str | None = None,
    unsent: bool = False,
) -> bool:
    """Compare-and-set on one delivery row: True only if it still matched the given state."""
    conditions = [
        Delivery.kind == kind,
        Delivery.recipient_id == recipient_id,
        Delivery.period == period,
        Delivery.status.in_(status_in),
    ]
    if claimed_at is not None:
        conditions.append(Delivery.claimed_at == claimed_at)
    if attempts is not None:
        conditions.append(Delivery.attempts == attempts)
    if claimed_by is not None:
        conditions.append(Delivery.claimed_by == claimed_by)
    if unsent:
        conditions.append(Delivery.sent_at.is_(None))
    result = await session.execute(
        update(Delivery)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _remindable() -> list[Any]:
    return [
        Student.grade.is_not(None),
        Student.reachable.is_(True),
        Student.reminder_time.is_not(None),
    ]


async def reminder_timezones(session: AsyncSession) -> list[str]:
    """The distinct time zones of students who could get a reminder at all."""
    rows = await session.scalars(select(Student.timezone).where(*_remindable()).distinct())
    return list(rows)


@dataclass(frozen=True, slots=True)
class ReminderCandidate:
    student_id: int
    telegram_id: int
    name: str
    language: str
    streak_current: int
    last_practice_date: dt.date | None
    freezes_available: int


async def reminder_candidates(
    session: AsyncSession, *, timezone: str, local_time: dt.time, joined_before: dt.datetime
) -> list[ReminderCandidate]:
    """Students in one time zone whose reminder time is at or before ``local_time`` and who
    joined before ``joined_before``, with their streaks; earliest reminder time first."""
    rows = await session.execute(
        select(
            Student.id,
            Student.telegram_id,
            Student.name,
            Student.language,
            Streak.current,
            Streak.last_practice_date,
            Streak.freezes_available,
        )
        .outerjoin(Streak, Streak.student_id == Student.id)
        .where(
            *_remindable(),
            Student.timezone == timezone,
            Student.reminder_time <= local_time,
            Student.created_at < joined_before,
        )
        .order_by(Student.reminder_time, Student.id)
    )
    return [ReminderCandidate(r[0], r[1], r[2], r[3], r[4] or 0, r[5], r[6] or 0) for r in rows]


# The two lookups below are separate queries rather than NOT EXISTS in the one above on
# purpose: today's date is always newer than PostgreSQL's statistics, so it expects one
# matching row and picks a nested loop over a materialized scan, which is quadratic
# (340 ms for 10,000 students, measured). These use an index each and grow with one day.


async def completed_on(session: AsyncSession, *, local_date: dt.date) -> set[int]:
    """Ids of the students who finished their practice on this local date."""
    rows = await session.scalars(
        select(PracticeSession.student_id).where(
            PracticeSession.local_date == local_date, PracticeSession.status == "completed"
        )
    )
    return {student_id for student_id in rows if student_id is not None}


async def delivered_since(
    session: AsyncSession, *, kind: str, period: str, since: dt.datetime
) -> set[int]:
    """Recipients whose ``kind`` message for ``period`` was sent or given up, among the rows
    claimed since ``since`` (a bound that lets the (status, claimed_at) index do the work)."""
    rows = await session.scalars(
        select(Delivery.recipient_id).where(
            Delivery.status.in_(("sent", "gave_up")),
            Delivery.claimed_at >= since,
            Delivery.kind == kind,
            Delivery.period == period,
        )
    )
    return set(rows)


async def set_student_unreachable(session: AsyncSession, *, student_id: int) -> None:
    """Stop scheduled messages to a student who blocked the bot (writing to it again resets)."""
    await session.execute(
        update(Student)
        .where(Student.id == student_id)
        .values(reachable=False)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- the graded-answer hot path
#
# A typed answer is the one request a busy bot serves hundreds of times a second, so these
# run Core statements, built once, on the session's connection: no ORM identity map or
# unit of work, and no statement construction or cache-key computation per call (measured on
# a 2-core machine: about 3.2 ms of CPU per answer with the ORM functions above, 0.9 ms so).
# Same SQL, same transaction: the service still opens it with ``db.begin()``.

_students = cast(Table, Student.__table__)
_sessions = cast(Table, PracticeSession.__table__)
_responses = cast(Table, Response.__table__)
_streaks = cast(Table, Streak.__table__)


@dataclass(frozen=True, slots=True)
class StreakSnapshot:
    """A student's streak row as read (no lock): writes compare against it."""

    current: int
    longest: int
    last_practice_date: dt.date | None
    milestones_achieved: tuple[int, ...]
    freezes_available: int


@dataclass(frozen=True, slots=True)
class AnsweringStudent:
    """The student fields the answer path reads."""

    id: int
    language: str
    grade: int | None
    timezone: str
    reachable: bool
    awaiting: str | None
    streak: StreakSnapshot | None = None  # None: no streak row yet
    # The update being handled is already recorded as a Response (a replay).
    update_recorded: bool = False


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A practice session in progress, as the answer path reads it (a snapshot, not an ORM
    object: changes go through ``step_session_if_unchanged``)."""

    id: int
    local_date: dt.date
    problem_ids: list[int]
    position: int
    wrong_on_current: int
    hints_on_current: int
    correct_count: int
    hints_total: int


_ANSWER_CONTEXT = (
    select(
        _students.c.id,
        _students.c.language,
        _students.c.grade,
        _students.c.timezone,
        _students.c.reachable,
        _students.c.awaiting,
        _sessions.c.id,
        _sessions.c.local_date,
        _sessions.c.problem_ids,
        _sessions.c.position,
        _sessions.c.wrong_on_current,
        _sessions.c.hints_on_current,
        _sessions.c.correct_count,
        _sessions.c.hints_total,
        _streaks.c.student_id,
        _streaks.c.current,
        _streaks.c.longest,
        _streaks.c.last_practice_date,
        _streaks.c.milestones_achieved,
        _streaks.c.freezes_available,
        select(_responses.c.id)
        .where(_responses.c.idempotency_key == bindparam("update_id"))
        .exists(),
    )
    .select_from(
        _students.outerjoin(
            _sessions,
            and_(_sessions.c.student_id == _students.c.id, _sessions.c.status == "in_progress"),
        ).outerjoin(_streaks, _streaks.c.student_id == _students.c.id)
    )
    .where(_students.c.telegram_id == bindparam("telegram_id"))
    .order_by(_sessions.c.local_date.desc())
    .limit(1)
)

_SET_REACHABLE = (
    update(_students)
    .where(_students.c.id == bindparam("student_id"))
    .values(reachable=True, updated_at=bindparam("now"))
)

# No .values(): the SET clause comes from the keys given at execution (compiled once per set
# of keys and cached); the WHERE clause's parameters are named so they cannot clash with them.
_STEP_SESSION = update(_sessions).where(
    _sessions.c.id == bindparam("session_id"),
    _sessions.c.status == "in_progress",
    _sessions.c.position == bindparam("old_position"),
    _sessions.c.wrong_on_current == bindparam("old_wrong"),
    _sessions.c.hints_on_current == bindparam("old_hints"),
)
_RESPONSE_INSERTS: dict[str, Any] = {}


def _response_insert(dialect: str) -> Any:
    stmt = _RESPONSE_INSERTS.get(dialect)
    if stmt is None:
        base = (
            postgresql.insert(_responses) if dialect == "postgresql" else sqlite.insert(_responses)
        )
        stmt = base.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(
            _responses.c.id
        )
        _RESPONSE_INSERTS[dialect] = stmt
    return stmt


async def get_answering_student(
    session: AsyncSession, *, telegram_id: int, update_id: int | None = None
) -> tuple[AnsweringStudent | None, OpenSession | None]:
    """One round trip: the student (with their streak), their latest unfinished practice
    session, if any, and whether ``update_id`` is already recorded as a Response."""
    conn = await session.connection()
    params = {"telegram_id": telegram_id, "update_id": update_id}
    row = (await conn.execute(_ANSWER_CONTEXT, params)).first()
    if row is None:
        return None, None
    streak = None
    if row[14] is not None:
        streak = StreakSnapshot(row[15], row[16], row[17], tuple(row[18] or ()), row[19])
    student = AnsweringStudent(row[0], row[1], row[2], row[3], row[4], row[5], streak, row[20])
    if row[6] is None:
        return student, None
    return student, OpenSession(
        row[6], row[7], list(row[8]), row[9], row[10], row[11], row[12], row[13]
    )


async def set_student_reachable(session: AsyncSession, *, student_id: int) -> None:
    """They wrote to us again: reminders may resume."""
    conn = await session.connection()
    await conn.execute(_SET_REACHABLE, {"student_id": student_id, "now": dt.datetime.now(dt.UTC)})


async def record_response_once(session: AsyncSession, **values: Any) -> int | None:
    """``insert_response_once`` for the hot path; None when this update id was recorded."""
    conn = await session.connection()
    stmt = _response_insert(conn.dialect.name)
    result = await conn.execute(stmt, {"created_at": dt.datetime.now(dt.UTC), **values})
    return result.scalar_one_or_none()


async def step_session_if_unchanged(
    session: AsyncSession, *, current: OpenSession, values: dict[str, Any]
) -> bool:
    """Compare-and-set on the session's step (see ``update_session_if_unchanged``)."""
    conn = await session.connection()
    result = await conn.execute(
        _STEP_SESSION,
        {
            "session_id": current.id,
            "old_position": current.position,
            "old_wrong": current.wrong_on_current,
            "old_hints": current.hints_on_current,
            **values,
        },
    )
    return bool(result.rowcount)


_ANSWER_WRITES: dict[tuple[str, frozenset[str]], Any] = {}


def _answer_write(keys: frozenset[str]) -> Any:
    """PostgreSQL: insert the Response and step the session in one statement (one round
    trip). The step runs only if the insert did (a replayed update id changes nothing), and
    returns the session's id only if its compare-and-set matched."""
    stmt = _ANSWER_WRITES.get(("postgresql", keys))
    if stmt is None:
        inserted = (
            postgresql.insert(_responses)
            .values({name: bindparam(f"r_{name}") for name in _RESPONSE_FIELDS})
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(_responses.c.id)
            .cte("inserted")
        )
        stepped = (
            update(_sessions)
            .where(
                _sessions.c.id == bindparam("session_id"),
                _sessions.c.status == "in_progress",
                _sessions.c.position == bindparam("old_position"),
                _sessions.c.wrong_on_current == bindparam("old_wrong"),
                _sessions.c.hints_on_current == bindparam("old_hints"),
                select(inserted.c.id).exists(),
            )
            .values({name: bindparam(f"s_{name}") for name in sorted(keys)})
            .returning(_sessions.c.id)
            .cte("stepped")
        )
        stmt = select(
            select(inserted.c.id).scalar_subquery(), select(stepped.c.id).scalar_subquery()
        )
        _ANSWER_WRITES[("postgresql", keys)] = stmt
    return stmt


_RESPONSE_FIELDS = (
    "session_id",
    "student_id",
    "problem_id",
    "student_answer",
    "is_correct",
    "confidence_score",
    "hints_used",
    "grader",
    "idempotency_key",
    "created_at",
)


async def record_answer_once(
    session: AsyncSession,
    *,
    current: OpenSession,
    response: dict[str, Any],
    values: dict[str, Any],
) -> tuple[bool, bool]:
    """Record a Response and compare-and-set the session's step: (inserted, moved).

    (False, False) when this update id was already recorded; (True, False) when another
    copy of the update moved the session first (the caller rolls back). One statement on
    PostgreSQL, two on SQLite (no writable CTEs there), in the caller's transaction.
    """
    response = {"created_at": dt.datetime.now(dt.UTC), **response}
    conn = await session.connection()
    if conn.dialect.name != "postgresql":
        if await record_response_once(session, **response) is None:
            return False, False
        return True, await step_session_if_unchanged(session, current=current, values=values)
    params = {f"r_{name}": response[name] for name in _RESPONSE_FIELDS}
    params |= {f"s_{name}": value for name, value in values.items()}
    params |= {
        "session_id": current.id,
        "old_position": current.position,
        "old_wrong": current.wrong_on_current,
        "old_hints": current.hints_on_current,
    }
    row = (await conn.execute(_answer_write(frozenset(values)), params)).one()
    return row[0] is not None, row[1] is not None


_STREAK_INSERTS: dict[str, Any] = {}


def _streak_upsert(dialect: str) -> Any:
    stmt = _STREAK_INSERTS.get(dialect)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(_streaks)
        # Update only the row that was read: json has no "=", but every change of a streak
        # moves last_practice_date, so these columns identify the version read.
        stmt = base.on_conflict_do_update(
            index_elements=["student_id"],
            set_={
                name: base.excluded[name]
                for name in (
                    "current",
                    "longest",
                    "last_practice_date",
                    "milestones_achieved",
                    "freezes_available",
                    "updated_at",
                )
            },
            where=and_(
                _streaks.c.current == bindparam("seen_current"),
                _streaks.c.longest == bindparam("seen_longest"),
                _streaks.c.last_practice_date.is_not_distinct_from(bindparam("seen_last")),
                _streaks.c.freezes_available == bindparam("seen_freezes"),
            ),
        ).returning(_streaks.c.student_id)
        _STREAK_INSERTS[dialect] = stmt
    return stmt


async def save_streak_if_unchanged(
    session: AsyncSession,
    *,
    student_id: int,
    seen: StreakSnapshot | None,
    current: int,
    longest: int,
    last_practice_date: dt.date | None,
    milestones_achieved: Sequence[int],
    freezes_available: int,
) -> bool:
    """Write the new streak if the row is still as ``seen`` (None: there was no row); False
    when another transaction changed it in between (then lock it and do it again)."""
    conn = await session.connection()
    values = {
        "student_id": student_id,
        "current": current,
        "longest": longest,
        "last_practice_date": last_practice_date,
        "milestones_achieved": list(milestones_achieved),
        "freezes_available": freezes_available,
        "updated_at": dt.datetime.now(dt.UTC),
    }
    if seen is None:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        stmt = (
            insert(_streaks)
            .on_conflict_do_nothing(index_elements=["student_id"])
            .returning(_streaks.c.student_id)
        )
        return (await conn.execute(stmt, values)).first() is not None
    params = values | {
        "seen_current": seen.current,
        "seen_longest": seen.longest,
        "seen_last": seen.last_practice_date,
        "seen_freezes": seen.freezes_available,
    }
    result = await conn.execute(_streak_upsert(conn.dialect.name), params)
    return result.first() is not None


# ---------------------------------------------------------------- the language-model budget


@dataclass(frozen=True, slots=True)
class Reservation:
    """A cost record for one model call: ``granted`` (status ``reserved``) or refused."""

    record_id: int
    granted: bool
    refused_by: str | None = None  # "global" or "student" when refused


# PostgreSQL, one statement (run it in autocommit): add the worst case to today's total if the
# total is still under its cap, then to the student's total likewise, then write the cost
# record saying which happened. ON CONFLICT DO UPDATE ... WHERE re-checks the cap on the row's
# newest version under its row lock, which is released when the statement ends, so concurrent
# callers never wait on a lock held across a network round trip.
_RESERVE_PG = text(
    """
WITH g AS (
    INSERT INTO llm_spend AS t (day, scope, spent_usd)
    VALUES (CAST(:day AS DATE), 0, CAST(:cost AS NUMERIC))
    ON CONFLICT (day, scope) DO UPDATE SET spent_usd = t.spent_usd + EXCLUDED.spent_usd
    WHERE t.spent_usd < CAST(:global_cap AS NUMERIC)
    RETURNING scope
), s AS (
    INSERT INTO llm_spend AS t (day, scope, spent_usd)
    SELECT CAST(:day AS DATE), CAST(:scope AS BIGINT), CAST(:cost AS NUMERIC)
    FROM g WHERE CAST(:scope AS BIGINT) > 0
    ON CONFLICT (day, scope) DO UPDATE SET spent_usd = t.spent_usd + EXCLUDED.spent_usd
    WHERE t.spent_usd < CAST(:student_cap AS NUMERIC)
    RETURNING scope
), verdict AS (
    SELECT EXISTS (SELECT 1 FROM g) AS global_ok,
           (CAST(:scope AS BIGINT) = 0 OR EXISTS (SELECT 1 FROM s)) AS student_ok
), rec AS (
    INSERT INTO cost_records (operation, model, prompt_tokens, cached_tokens,
                              completion_tokens, tokens_used, cost_usd, latency_ms, status,
                              student_id, problem_id, created_at)
    SELECT CAST(:operation AS VARCHAR), CAST(:model AS VARCHAR), 0, 0, 0, 0,
           CASE WHEN global_ok AND student_ok THEN CAST(:cost AS NUMERIC) ELSE 0 END, 0,
           CASE WHEN global_ok AND student_ok THEN 'reserved' ELSE 'budget_exceeded' END,
           CAST(:student_id AS INTEGER), CAST(:problem_id AS INTEGER),
           CAST(:created_at AS TIMESTAMPTZ)
    FROM verdict
    RETURNING id
)
SELECT rec.id, verdict.global_ok, verdict.student_ok FROM rec, verdict
"""
)


def _add_spend(day: dt.date, scope: int, cost: Decimal, cap: Decimal) -> Any:
    stmt = sqlite.insert(LlmSpend).values(day=day, scope=scope, spent_usd=cost)
    return stmt.on_conflict_do_update(
        index_elements=["day", "scope"],
        set_={"spent_usd": LlmSpend.spent_usd + stmt.excluded.spent_usd},
        where=LlmSpend.spent_usd < cap,
    ).returning(LlmSpend.scope)


async def reserve_llm_call(
    session: AsyncSession,
    *,
    day: dt.date,
    cost: Decimal,
    global_cap: Decimal,
    student_cap: Decimal,
    operation: str,
    model: str,
    student_id: int | None,
    problem_id: int | None,
    created_at: dt.datetime,
) -> Reservation:
    """Reserve ``cost`` against today's global and per-student caps and record the call.

    A cap counts as reached once the total (reservations in flight included) is at or over
    it, so concurrent calls overshoot a cap by at most one call. On PostgreSQL give a session
    in autocommit (one statement); on SQLite a transaction (its write lock serializes).
    """
    conn = await session.connection()
    scope = student_id or 0
    record = {
        "operation": operation,
        "model": model,
        "student_id": student_id,
        "problem_id": problem_id,
        "created_at": created_at,
    }
    if global_cap <= 0 or (scope and student_cap <= 0):
        global_ok, student_ok = global_cap > 0, False
    elif conn.dialect.name == "postgresql":
        params = record | {"day": day, "scope": scope, "cost": cost}
        params |= {"global_cap": global_cap, "student_cap": student_cap}
        record_id, global_ok, student_ok = (await conn.execute(_RESERVE_PG, params)).one()
        if global_ok and not student_ok:
            await _take_back(session, day=day, scopes=(0,), cost=cost)
        return _reservation(record_id, global_ok, student_ok)
    else:
        global_ok = (await conn.execute(_add_spend(day, 0, cost, global_cap))).first() is not None
        student_ok = not scope
        if global_ok and scope:
            added = await conn.execute(_add_spend(day, scope, cost, student_cap))
            student_ok = added.first() is not None
            if not student_ok:
                await _take_back(session, day=day, scopes=(0,), cost=cost)
    granted = global_ok and student_ok
    record_id = (
        await conn.execute(
            insert(CostRecord)
            .values(
                **record,
                prompt_tokens=0,
                cached_tokens=0,
                completion_tokens=0,
                tokens_used=0,
                cost_usd=cost if granted else Decimal(0),
                latency_ms=0,
                status="reserved" if granted else "budget_exceeded",
            )
            .returning(CostRecord.id)
        )
    ).scalar_one()
    return _reservation(record_id, global_ok, student_ok)


def _reservation(record_id: int, global_ok: bool, student_ok: bool) -> Reservation:
    refused = None if global_ok and student_ok else "global" if not global_ok else "student"
    return Reservation(int(record_id), refused is None, refused)


async def _take_back(
    session: AsyncSession, *, day: dt.date, scopes: Sequence[int], cost: Decimal
) -> None:
    await session.execute(
        update(LlmSpend)
        .where(LlmSpend.day == day, LlmSpend.scope.in_(scopes))
        .values(spent_usd=LlmSpend.spent_usd - cost)
    )


# PostgreSQL, one statement: settle the cost record and give back to today's totals what
# the call cost less than its reservation (a data-modifying CTE always runs).
_SETTLE_PG = text(
    """
WITH spend AS (
    UPDATE llm_spend SET spent_usd = spent_usd - CAST(:give_back AS NUMERIC)
    WHERE CAST(:give_back AS NUMERIC) <> 0 AND day = CAST(:day AS DATE)
      AND scope IN (0, CAST(:scope AS BIGINT))
    RETURNING scope
)
UPDATE cost_records
SET cost_usd = CAST(:cost AS NUMERIC), status = CAST(:status AS VARCHAR),
    prompt_tokens = CAST(:prompt_tokens AS INTEGER),
    cached_tokens = CAST(:cached_tokens AS INTEGER),
    completion_tokens = CAST(:completion_tokens AS INTEGER),
    tokens_used = CAST(:tokens_used AS INTEGER), latency_ms = CAST(:latency_ms AS INTEGER)
WHERE id = CAST(:record_id AS INTEGER)
"""
)


async def settle_llm_call(
    session: AsyncSession,
    *,
    record_id: int,
    day: dt.date,
    student_id: int | None,
    reserved: Decimal,
    cost: Decimal,
    status: str,
    prompt_tokens: int = 0,
    cached_tokens: int = 0,
    completion_tokens: int = 0,
    tokens_used: int = 0,
    latency_ms: int = 0,
) -> None:
    """Write what a reserved call really used, and move the day's totals from the reserved
    worst case to the real ``cost``. One statement on PostgreSQL (every model call pays it)."""
    values = {
        "status": status,
        "prompt_tokens": prompt_tokens,
        "cached_tokens": cached_tokens,
        "completion_tokens": completion_tokens,
        "tokens_used": tokens_used,
        "latency_ms": latency_ms,
    }
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        params = values | {"record_id": record_id, "cost": cost, "day": day}
        params |= {"scope": student_id or 0, "give_back": reserved - cost}
        await conn.execute(_SETTLE_PG, params)
        return
    table = cast(Table, CostRecord.__table__)
    await conn.execute(
        update(table).where(table.c.id == record_id).values(cost_usd=cost, **values)
    )
    if cost != reserved:
        scopes = (0, student_id) if student_id else (0,)
        await _take_back(session, day=day, scopes=scopes, cost=reserved - cost)
