"""Practice: sessions, responses and streaks, with the Core statements of the answer hot path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.models import (
    PracticeSession,
    Response,
    Streak,
    Student,
)
from db.queries import mastery as queries_mastery
from db.queries.dialect import dialect_insert
from db.queries.mastery import MasteryWrite


async def get_session_for_day(
    session: AsyncSession, *, student_id: int, local_date: dt.date, extra: int = 0
) -> PracticeSession | None:
    """The day's session (``extra`` 0) or one of its extra sets."""
    return await session.scalar(
        select(PracticeSession).where(
            PracticeSession.student_id == student_id,
            PracticeSession.local_date == local_date,
            PracticeSession.extra == extra,
        )
    )


async def extra_sets_on(session: AsyncSession, *, student_id: int, local_date: dt.date) -> int:
    """How many extra sets the student was given on this day."""
    found = await session.scalar(
        select(func.max(PracticeSession.extra)).where(
            PracticeSession.student_id == student_id, PracticeSession.local_date == local_date
        )
    )
    return int(found or 0)


async def create_session_once(
    session: AsyncSession,
    *,
    student_id: int,
    local_date: dt.date,
    variants: Sequence[tuple[int, int]],
    extra: int = 0,
) -> PracticeSession:
    """Create the day's session (or its extra set number ``extra``) of these (problem id,
    seed) variants; if a concurrent request already did, return that one."""
    stmt = dialect_insert(session, PracticeSession).values(
        student_id=student_id,
        local_date=local_date,
        extra=extra,
        problem_ids=[pid for pid, _seed in variants],
        variant_seeds=[seed for _pid, seed in variants],
        status="in_progress",
        position=0,
        wrong_on_current=0,
        hints_on_current=0,
        correct_count=0,
        hints_total=0,
        started_at=dt.datetime.now(dt.UTC),
    )
    await session.execute(
        stmt.on_conflict_do_nothing(index_elements=["student_id", "local_date", "extra"])
    )
    created = await get_session_for_day(
        session, student_id=student_id, local_date=local_date, extra=extra
    )
    assert created is not None
    return created


# Responses that count as answers: not the ones that only asked for another shape.
GRADED = Response.grader != "form"


@dataclass(frozen=True, slots=True)
class ProblemHistory:
    problem_id: int
    attempts: int
    correct: int
    last_wrong_at: dt.datetime | None
    last_correct_at: dt.datetime | None


async def seen_variants(
    session: AsyncSession, *, student_id: int, since: dt.date
) -> set[tuple[int, int]]:
    """Every (problem id, seed) the student was given in a session on or after ``since``."""
    rows = await session.execute(
        select(PracticeSession.problem_ids, PracticeSession.variant_seeds).where(
            PracticeSession.student_id == student_id, PracticeSession.local_date >= since
        )
    )
    return {pair for ids, seeds in rows for pair in zip(ids, _seeds(ids, seeds), strict=True)}


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
        .where(Response.student_id == student_id, GRADED)
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


async def get_streak(session: AsyncSession, *, student_id: int) -> Streak | None:
    return await session.get(Streak, student_id)


async def streak_snapshot(conn: AsyncConnection, *, student_id: int) -> StreakSnapshot | None:
    """A student's streak row as it is now (None: no row yet)."""
    row = (await conn.execute(select(_streaks).where(_streaks.c.student_id == student_id))).first()
    return None if row is None else _snapshot(row)


def _snapshot(row: Any) -> StreakSnapshot:
    return StreakSnapshot(
        current=row.current,
        longest=row.longest,
        last_practice_date=row.last_practice_date,
        milestones_achieved=tuple(row.milestones_achieved or ()),
        freezes_available=row.freezes_available,
    )


# ---------------------------------------------------------------- the graded-answer hot path
#
# A typed answer is the one request a busy bot serves hundreds of times a second, so these
# run Core statements, built once, on a connection: no ORM session, identity map or unit of
# work, and no statement construction per call. The answer path gets its connection from
# ``db.engine.autocommit_connection`` (on PostgreSQL each statement commits by itself, and
# ``record_answer_once`` is one atomic statement); a service holding an ORM session passes
# ``await session.connection()``.

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
    variant_seeds: list[int]  # same order; 0 for an item
    position: int
    wrong_on_current: int
    hints_on_current: int
    correct_count: int
    hints_total: int
    extra: int = 0  # 0: the day's session; 1, 2, …: an extra set (no streak day of its own)

    @property
    def variants(self) -> list[tuple[int, int]]:
        """The session's problems as (problem id, seed)."""
        return list(zip(self.problem_ids, self.variant_seeds, strict=True))

    @property
    def current(self) -> tuple[int, int]:
        """The variant the student is on."""
        return self.problem_ids[self.position], self.variant_seeds[self.position]


def _seeds(problem_ids: list[Any], seeds: list[Any] | None) -> list[int]:
    # Sessions from before templates have no seeds: every problem was an item.
    return [int(x) for x in seeds] if seeds else [0] * len(problem_ids)


_ANSWER_CONTEXT = (
    select(
        _students.c.id.label("student_id"),
        _students.c.language,
        _students.c.grade,
        _students.c.timezone,
        _students.c.reachable,
        _students.c.awaiting,
        _sessions.c.id.label("session_id"),
        _sessions.c.local_date,
        _sessions.c.extra,
        _sessions.c.problem_ids,
        _sessions.c.variant_seeds,
        _sessions.c.position,
        _sessions.c.wrong_on_current,
        _sessions.c.hints_on_current,
        _sessions.c.correct_count,
        _sessions.c.hints_total,
        _streaks.c.student_id.label("streak_of"),
        _streaks.c.current,
        _streaks.c.longest,
        _streaks.c.last_practice_date,
        _streaks.c.milestones_achieved,
        _streaks.c.freezes_available,
        select(_responses.c.id)
        .where(_responses.c.idempotency_key == bindparam("update_id"))
        .exists()
        .label("update_recorded"),
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
    conn: AsyncConnection, *, telegram_id: int, update_id: int | None = None
) -> tuple[AnsweringStudent | None, OpenSession | None]:
    """One round trip: the student (with their streak), their latest unfinished practice
    session, if any, and whether ``update_id`` is already recorded as a Response."""
    params = {"telegram_id": telegram_id, "update_id": update_id}
    row = (await conn.execute(_ANSWER_CONTEXT, params)).first()
    if row is None:
        return None, None
    student = AnsweringStudent(
        id=row.student_id,
        language=row.language,
        grade=row.grade,
        timezone=row.timezone,
        reachable=row.reachable,
        awaiting=row.awaiting,
        streak=None if row.streak_of is None else _snapshot(row),
        update_recorded=bool(row.update_recorded),
    )
    if row.session_id is None:
        return student, None
    return student, OpenSession(
        id=row.session_id,
        local_date=row.local_date,
        problem_ids=list(row.problem_ids),
        variant_seeds=_seeds(row.problem_ids, row.variant_seeds),
        position=row.position,
        wrong_on_current=row.wrong_on_current,
        hints_on_current=row.hints_on_current,
        correct_count=row.correct_count,
        hints_total=row.hints_total,
        extra=row.extra,
    )


def open_session_of(row: PracticeSession) -> OpenSession:
    """The answer path's snapshot of a session read through the ORM."""
    return OpenSession(
        id=row.id,
        local_date=row.local_date,
        problem_ids=list(row.problem_ids),
        variant_seeds=_seeds(row.problem_ids, row.variant_seeds),
        position=row.position,
        wrong_on_current=row.wrong_on_current,
        hints_on_current=row.hints_on_current,
        correct_count=row.correct_count,
        hints_total=row.hints_total,
        extra=row.extra,
    )


async def set_student_reachable(conn: AsyncConnection, *, student_id: int) -> None:
    """They wrote to us again: reminders may resume."""
    await conn.execute(_SET_REACHABLE, {"student_id": student_id, "now": dt.datetime.now(dt.UTC)})


async def record_response_once(conn: AsyncConnection, **values: Any) -> int | None:
    """Record a Response (one statement); None when this update id was already recorded."""
    stmt = _response_insert(conn.dialect.name)
    result = await conn.execute(stmt, {"created_at": dt.datetime.now(dt.UTC), **values})
    return result.scalar_one_or_none()


async def step_session_if_unchanged(
    conn: AsyncConnection, *, current: OpenSession, values: dict[str, Any]
) -> bool:
    """Compare-and-set on the session's step: False if another update moved it first."""
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


@dataclass(frozen=True, slots=True)
class StreakWrite:
    """The streak a day's finished session saves: its new values, written only if the row is
    still as ``seen`` (None: there was no row) when the write runs."""

    student_id: int
    seen: StreakSnapshot | None
    current: int
    longest: int
    last_practice_date: dt.date | None
    milestones_achieved: tuple[int, ...]
    freezes_available: int

    def params(self) -> dict[str, Any]:
        seen = self.seen
        return {
            "k_student_id": self.student_id,
            "k_current": self.current,
            "k_longest": self.longest,
            "k_last_practice_date": self.last_practice_date,
            "k_milestones_achieved": list(self.milestones_achieved),
            "k_freezes_available": self.freezes_available,
            "k_updated_at": dt.datetime.now(dt.UTC),
            "k_seen_current": seen.current if seen else None,
            "k_seen_longest": seen.longest if seen else None,
            "k_seen_last": seen.last_practice_date if seen else None,
            "k_seen_freezes": seen.freezes_available if seen else None,
        }


_STREAK_FIELDS = (
    "current",
    "longest",
    "last_practice_date",
    "milestones_achieved",
    "freezes_available",
    "updated_at",
)


def _streak_statement(dialect: str, *, first: bool, after: Any = None) -> Any:
    """Insert a first streak row, or update the row only if it is still as read: json has
    no "=", but every change of a streak moves last_practice_date, so the other columns
    identify the version read. With ``after`` (a CTE), only if that CTE returned a row."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    c = _streaks.c
    values = {"student_id": bindparam("k_student_id", type_=c.student_id.type)}
    values |= {name: bindparam(f"k_{name}", type_=c[name].type) for name in _STREAK_FIELDS}
    if after is None:
        base = insert(_streaks).values(values)
    else:
        source = select(*values.values()).where(select(after.c.id).exists())
        base = insert(_streaks).from_select(list(values), source)
    if first:
        stmt = base.on_conflict_do_nothing(index_elements=["student_id"])
    else:
        stmt = base.on_conflict_do_update(
            index_elements=["student_id"],
            set_={name: base.excluded[name] for name in _STREAK_FIELDS},
            where=and_(
                c.current == bindparam("k_seen_current", type_=c.current.type),
                c.longest == bindparam("k_seen_longest", type_=c.longest.type),
                c.last_practice_date.is_not_distinct_from(
                    bindparam("k_seen_last", type_=c.last_practice_date.type)
                ),
                c.freezes_available == bindparam("k_seen_freezes", type_=c.freezes_available.type),
            ),
        )
    return stmt.returning(c.student_id)


_STREAK_WRITES: dict[tuple[str, bool], Any] = {}


async def save_streak_if_unchanged(conn: AsyncConnection, write: StreakWrite) -> bool:
    """Write the new streak if the row is still as ``write.seen``; False when another
    transaction changed it in between (then read it again and recompute)."""
    key = (conn.dialect.name, write.seen is None)
    stmt = _STREAK_WRITES.get(key)
    if stmt is None:
        stmt = _STREAK_WRITES[key] = _streak_statement(key[0], first=key[1])
    return (await conn.execute(stmt, write.params())).first() is not None


# The session's compare-and-set step for an answer: only if this update id is not recorded
# yet, so that a step that happens always records its Response (see record_answer_once).
_STEP_ANSWERED = _STEP_SESSION.where(
    ~select(_responses.c.id)
    .where(_responses.c.idempotency_key == bindparam("r_idempotency_key"))
    .exists()
)
_ANSWER_WRITES: dict[tuple[frozenset[str], Hashable, bool | None], Any] = {}


def _answer_write(
    keys: frozenset[str], mastery: MasteryWrite | None, streak: StreakWrite | None
) -> Any:
    """PostgreSQL: step the session, insert the Response, update the topic's mastery and
    save the streak in one statement (one round trip, atomic without a transaction). The
    step is the compare-and-set; everything else runs only if it matched."""
    first_streak = None if streak is None else streak.seen is None
    cache_key = (
        keys,
        None if mastery is None else (mastery.key, mastery.schedule, mastery.intervals),
        first_streak,
    )
    stmt = _ANSWER_WRITES.get(cache_key)
    if stmt is None:
        stepped = (
            _STEP_ANSWERED.values({name: bindparam(f"s_{name}") for name in sorted(keys)})
            .returning(_sessions.c.id)
            .cte("stepped")
        )
        fields = {n: bindparam(f"r_{n}", type_=_responses.c[n].type) for n in _RESPONSE_FIELDS}
        if_stepped = select(*fields.values()).where(select(stepped.c.id).exists())
        inserted = (
            postgresql.insert(_responses)
            .from_select(list(fields), if_stepped)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(_responses.c.id)
            .cte("inserted")
        )
        columns = [select(stepped.c.id).scalar_subquery(), select(inserted.c.id).scalar_subquery()]
        if first_streak is not None:
            saved = _streak_statement("postgresql", first=first_streak, after=inserted)
            saved_cte = saved.cte("streaked")
            columns.append(select(saved_cte.c.student_id).scalar_subquery())
        stmt = select(*columns)
        if mastery is not None:
            # Not referenced by the result: PostgreSQL runs a data-modifying CTE regardless.
            upsert = queries_mastery.upsert_statement("postgresql", mastery, after=inserted)
            stmt = stmt.add_cte(upsert.cte("mastered"))
        _ANSWER_WRITES[cache_key] = stmt
    return stmt


_RESPONSE_FIELDS = (
    "session_id",
    "student_id",
    "problem_id",
    "variant_seed",
    "student_answer",
    "is_correct",
    "confidence_score",
    "hints_used",
    "grader",
    "idempotency_key",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class AnswerWritten:
    """What ``record_answer_once`` did: ``recorded`` (the session stepped and the Response is
    in), and whether the streak it was given was saved (False: the row changed since read)."""

    recorded: bool
    streak_saved: bool = False


async def record_answer_once(
    conn: AsyncConnection,
    *,
    current: OpenSession,
    response: dict[str, Any],
    values: dict[str, Any],
    mastery: MasteryWrite | None = None,
    streak: StreakWrite | None = None,
) -> AnswerWritten:
    """Step the session with a compare-and-set, and only if it matched (and this update id
    is not recorded yet) record the Response, apply the answer's change to the topic's
    mastery and save the finished day's streak.

    Nothing is written when another copy of the update, or another update, moved the
    session first: ``recorded`` is False. One statement on PostgreSQL, so it needs no
    transaction (the answer path runs it in autocommit); on SQLite, which has no writable
    CTEs, two to four statements in the caller's transaction (in-process: no round trips).
    """
    response = {"created_at": dt.datetime.now(dt.UTC), **response}
    params = {f"r_{name}": response[name] for name in _RESPONSE_FIELDS}
    params |= {f"s_{name}": value for name, value in values.items()}
    params |= {
        "session_id": current.id,
        "old_position": current.position,
        "old_wrong": current.wrong_on_current,
        "old_hints": current.hints_on_current,
    }
    if conn.dialect.name != "postgresql":
        where = {k: params[k] for k in ("session_id", "old_position", "old_wrong", "old_hints")}
        where["r_idempotency_key"] = params["r_idempotency_key"]
        if not (await conn.execute(_STEP_ANSWERED, where | values)).rowcount:
            return AnswerWritten(recorded=False)
        await record_response_once(conn, **response)
        if mastery is not None:
            await queries_mastery.record(conn, mastery)
        saved = streak is not None and await save_streak_if_unchanged(conn, streak)
        return AnswerWritten(recorded=True, streak_saved=saved)
    if mastery is not None:
        params |= mastery.params()
    if streak is not None:
        params |= streak.params()
    row = (await conn.execute(_answer_write(frozenset(values), mastery, streak), params)).one()
    return AnswerWritten(
        recorded=row[0] is not None, streak_saved=streak is not None and row[2] is not None
    )
