"""The schema of Dars as typed SQLAlchemy models; migrations are the source of the real tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp: timestamptz on PostgreSQL, UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        # SQLite hands back naive datetimes; they were stored as UTC.
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Student(TimestampMixin, Base):
    __tablename__ = "students"
    __table_args__ = (
        CheckConstraint("grade BETWEEN 6 AND 8", name="grade_range"),
        CheckConstraint("language IN ('en', 'bn')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # NULL until the student has picked a grade: onboarding is not finished.
    grade: Mapped[int | None] = mapped_column(SmallInteger)
    language: Mapped[str] = mapped_column(String(2), default="en")
    timezone: Mapped[str] = mapped_column(String(64))
    reminder_time: Mapped[dt.time | None] = mapped_column(Time)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    # What free text from this student means right now (e.g. "name"); NULL = an answer.
    awaiting: Mapped[str | None] = mapped_column(String(32))


class Problem(TimestampMixin, Base):
    __tablename__ = "problems"
    __table_args__ = (
        CheckConstraint("grade BETWEEN 6 AND 8", name="grade_range"),
        CheckConstraint("difficulty BETWEEN 1 AND 3", name="difficulty_range"),
        CheckConstraint(
            "answer_type IN ('numeric', 'multiple_choice', 'text', 'expression', 'ratio', 'time')",
            name="answer_type_known",
        ),
        Index("ix_problems_grade_active", "grade", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    grade: Mapped[int] = mapped_column(SmallInteger)
    topic: Mapped[str] = mapped_column(String(64))
    difficulty: Mapped[int] = mapped_column(SmallInteger)
    question_en: Mapped[str] = mapped_column(Text)
    question_bn: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(String(200))
    answer_type: Mapped[str] = mapped_column(String(20))
    options_en: Mapped[list[Any] | None] = mapped_column(JSON)
    options_bn: Mapped[list[Any] | None] = mapped_column(JSON)
    tolerance: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    accept: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Three levels per language; NULL when the bank gave none (the model may fill them in).
    hints_en: Mapped[list[Any] | None] = mapped_column(JSON)
    hints_bn: Mapped[list[Any] | None] = mapped_column(JSON)
    explanation_en: Mapped[str | None] = mapped_column(Text)
    explanation_bn: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    # Problems are retired, never deleted: responses point at them.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The whole validated bank entry (problems/schema.py), what the tutor builds cards from;
    # for a template the text columns above hold its {placeholders}.
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A template's seeds with distinct questions (problems/templates/); NULL for an item.
    variant_seeds: Mapped[list[Any] | None] = mapped_column(JSON)


class Topic(Base):
    """A topic of a class's syllabus, named in both languages, in syllabus order."""

    __tablename__ = "topics"
    __table_args__ = (CheckConstraint("grade BETWEEN 6 AND 8", name="grade_range"),)

    grade: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    name_en: Mapped[str] = mapped_column(String(100))
    name_bn: Mapped[str] = mapped_column(String(100))


class GeneratedHint(Base):
    """A hint the language model wrote for a level/language the bank left out; paid for once."""

    __tablename__ = "generated_hints"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),)

    problem_id: Mapped[int] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PracticeSession(Base):
    """One student's practice on one local day (the day's session, or an extra set)."""

    __tablename__ = "practice_sessions"
    __table_args__ = (
        UniqueConstraint(
            "student_id", "local_date", "extra", name="uq_practice_sessions_student_day"
        ),
        CheckConstraint("status IN ('in_progress', 'completed')", name="status_known"),
        CheckConstraint("hints_on_current BETWEEN 0 AND 3", name="hints_range"),
        Index("ix_practice_sessions_local_date", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL: when a student deletes their data, the anonymous practice stays for statistics.
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="SET NULL"))
    local_date: Mapped[dt.date] = mapped_column(Date)
    # 0: the day's session (it counts for the streak); 1, 2, …: extra sets after it.
    extra: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    problem_ids: Mapped[list[Any]] = mapped_column(JSON)
    # The variant of each problem (its template seed; 0 for an item), same order; NULL: all 0.
    variant_seeds: Mapped[list[Any] | None] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    wrong_on_current: Mapped[int] = mapped_column(SmallInteger, default=0)
    hints_on_current: Mapped[int] = mapped_column(SmallInteger, default=0)
    correct_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    hints_total: Mapped[int] = mapped_column(SmallInteger, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column()


class Response(Base):
    """One attempt at one problem: an answer (graded) or a skip."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint("hints_used BETWEEN 0 AND 3", name="hints_used_range"),
        # 'form': the right value in another shape than asked (asked again, never wrong).
        CheckConstraint("grader IN ('rule', 'model', 'skip', 'form')", name="grader_known"),
        CheckConstraint(
            "confidence_score IS NULL OR (confidence_score >= 0 AND confidence_score <= 1)",
            name="confidence_range",
        ),
        Index("ix_responses_session_problem", "session_id", "problem_id"),
        Index("ix_responses_student_problem", "student_id", "problem_id"),
        Index("ix_responses_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="SET NULL"))
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="RESTRICT"))
    variant_seed: Mapped[int | None] = mapped_column(Integer)
    student_answer: Mapped[str | None] = mapped_column(String(500))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    confidence_score: Mapped[float | None] = mapped_column(Float)
    hints_used: Mapped[int] = mapped_column(SmallInteger, default=0)
    grader: Mapped[str] = mapped_column(String(8))
    # The Telegram update id: a redelivered update cannot record a second Response.
    idempotency_key: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Streak(Base):
    __tablename__ = "streaks"
    __table_args__ = (
        CheckConstraint("current >= 0 AND longest >= current", name="counts_valid"),
        CheckConstraint("freezes_available >= 0", name="freezes_valid"),
    )

    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True
    )
    current: Mapped[int] = mapped_column(Integer, default=0)
    longest: Mapped[int] = mapped_column(Integer, default=0)
    last_practice_date: Mapped[dt.date | None] = mapped_column(Date)
    milestones_achieved: Mapped[list[Any]] = mapped_column(JSON, default=list)
    freezes_available: Mapped[int] = mapped_column(SmallInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TopicMastery(Base):
    """What a student knows of one topic of a class (``bot/services/mastery.py``): the
    probability they know it, and when it comes back for review. Changed by every graded
    answer, in the answer's own statement on PostgreSQL."""

    __tablename__ = "topic_mastery"
    __table_args__ = (
        CheckConstraint("p_known >= 0 AND p_known <= 1", name="p_known_range"),
        CheckConstraint("stage >= 0", name="stage_valid"),
    )

    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True
    )
    grade: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    p_known: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[int] = mapped_column(SmallInteger, default=0)  # rung of the review ladder
    # Local days since 1970-01-01 (plain integers: the same arithmetic in both databases).
    due_day: Mapped[int] = mapped_column(Integer)
    last_day: Mapped[int] = mapped_column(Integer)
    # True when the starting value came from the placement check, not from practice.
    placed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Placement(Base):
    """A placement check in progress (one a student): the range of the class's syllabus,
    in order, where the student's boundary between known and not yet known topics lies."""

    __tablename__ = "placements"

    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True
    )
    grade: Mapped[int] = mapped_column(SmallInteger)
    low: Mapped[int] = mapped_column(SmallInteger)
    high: Mapped[int] = mapped_column(SmallInteger)
    step: Mapped[int] = mapped_column(SmallInteger)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    variant_seed: Mapped[int] = mapped_column(Integer)
    # The update that last moved the check: a redelivered copy changes nothing.
    last_update_id: Mapped[int | None] = mapped_column(BigInteger)


class CostRecord(Base):
    """One call (or refused call) to the language model, with what it cost.

    A call first inserts its row as ``reserved`` with its worst-case cost, so budgets count
    calls still in flight; the row is then settled with the real figures (migration 0002).
    """

    __tablename__ = "cost_records"
    __table_args__ = (
        CheckConstraint(
            "status IN ('ok', 'error', 'timeout', 'budget_exceeded', 'reserved')",
            name="status_known",
        ),
        Index("ix_cost_records_created_at", "created_at"),
        Index("ix_cost_records_student_created", "student_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(100))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    tokens_used: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 8), default=Decimal(0))
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="SET NULL"))
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LlmSpend(Base):
    """Running totals of language-model spending per UTC day for all students (``scope`` 0),
    reservations in flight included (migration 0004); each person's own total is in
    ``llm_user_spend`` (migration 0007).

    The budget check is one conditional upsert on these rows, so concurrent calls, in one
    process or many, never wait on a lock held across a network round trip; ``cost_records``
    stays the itemised account the totals are kept from.
    """

    __tablename__ = "llm_spend"
    __table_args__ = (CheckConstraint("scope >= 0", name="scope_not_negative"),)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    scope: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    spent_usd: Mapped[Decimal] = mapped_column(Numeric(14, 8), default=Decimal(0))


class LlmUserSpend(Base):
    """Each person's language-model spending per UTC day, reservations in flight included.

    Keyed by ``user_key``, an HMAC-SHA256 of the Telegram id under a key the database does
    not hold (``bot.services.llm.budget.user_key``), not by the student row: deleting one's
    data and starting again keeps the day's total, and no Telegram id is stored. Rows of
    past days are pruned daily (migration 0007).
    """

    __tablename__ = "llm_user_spend"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    spent_usd: Mapped[Decimal] = mapped_column(Numeric(14, 8), default=Decimal(0))


class Delivery(Base):
    """One scheduled message (a reminder, a weekly summary) claimed before it is sent.

    The unique key (kind, recipient, period) makes every scheduled send happen at most once
    per period, also with several bot processes; a claim whose send failed (or whose process
    died) is retried, not lost.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("kind", "recipient_id", "period", name="uq_deliveries_kind_recipient"),
        CheckConstraint("status IN ('claimed', 'sent', 'failed', 'gave_up')", name="status_known"),
        Index("ix_deliveries_status_claimed_at", "status", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[int] = mapped_column(BigInteger)
    # The recipient's local date (reminders) or ISO week (weekly summaries).
    period: Mapped[str] = mapped_column(String(16))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="claimed")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=1)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(200))


class Guardian(TimestampMixin, Base):
    """A parent who follows one or more students in their own chat."""

    __tablename__ = "guardians"
    __table_args__ = (CheckConstraint("language IN ('en', 'bn')", name="language_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    timezone: Mapped[str] = mapped_column(String(64))
    weekly_summary: Mapped[bool] = mapped_column(Boolean, default=True)
    daily_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)


class GuardianLink(Base):
    __tablename__ = "guardian_links"

    guardian_id: Mapped[int] = mapped_column(
        ForeignKey("guardians.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Teacher(TimestampMixin, Base):
    __tablename__ = "teachers"
    __table_args__ = (CheckConstraint("language IN ('en', 'bn')", name="language_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    # Chosen with the 🌐 button under /class; until then it follows their Telegram client.
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    timezone: Mapped[str] = mapped_column(String(64))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)


class SchoolClass(Base):
    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(
        ForeignKey("teachers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    # A group chat where the teacher asked the bot to post the weekly class summary.
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ClassMember(Base):
    __tablename__ = "class_members"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InviteCode(Base):
    """A one-time link token; only its SHA-256 is stored."""

    __tablename__ = "invite_codes"
    __table_args__ = (
        CheckConstraint("kind IN ('parent', 'class')", name="kind_known"),
        CheckConstraint(
            "(kind = 'parent' AND student_id IS NOT NULL) OR "
            "(kind = 'class' AND class_id IS NOT NULL)",
            name="target_present",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()


class InviteAttempt(Base):
    """A redeem attempt, for limiting how fast anyone can guess codes."""

    __tablename__ = "invite_attempts"
    __table_args__ = (Index("ix_invite_attempts_telegram_at", "telegram_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Every operator command: who, what, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_telegram_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
