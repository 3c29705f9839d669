"""The benchmark data set: a scaled bank, many onboarded students, a long answer history and
one practice session in progress per student. Built once; later runs find it and skip.

Everything bulk is plain SQL (INSERT … SELECT over generate_series) because the history only
has to exist, with realistic sizes and index shapes; the sessions in progress, which the
benchmarks then answer, are created by the real ``practice.start_practice``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import asyncpg
from sqlalchemy import select

from bot.config import Settings
from bot.services import practice
from bot.services.banks import load_banks
from bot.services.cards import ProblemCard
from bot.services.deps import Deps
from db.engine import create_engine, create_sessionmaker
from db.models import Problem
from problems.bank import BankProblem, ParsedBanks, parse_banks, sample_bank_dir

FIRST_TELEGRAM_ID = 900_000_000
# Historical sessions are dated from HISTORY_START; anything at or after HISTORY_END is a
# session the benchmarks created (through start_practice) and answer.
HISTORY_START = dt.date(2025, 1, 1)
HISTORY_END = dt.date(2026, 1, 1)
RESPONSES_PER_SESSION = 5

Progress = Callable[[str], None]


def _say(message: str) -> None:
    print(f"  [data] {message}", flush=True)


@dataclass(frozen=True, slots=True)
class Student:
    """One benchmark student and their session in progress."""

    student_id: int
    telegram_id: int
    grade: int
    language: str
    session_id: int
    problem_ids: tuple[int, ...]


def scaled_bank(copies: int) -> ParsedBanks:
    """The sample bank plus ``copies - 1`` copies with new ids; the last copy has no hints
    (so the language model would have to write them)."""
    parsed = parse_banks([sample_bank_dir()])
    if parsed.errors:
        raise RuntimeError(f"the sample bank does not parse: {parsed.errors[:3]}")
    problems: list[BankProblem] = list(parsed.problems)
    files = list(parsed.files)
    for k in range(1, copies):
        for item in parsed.problems:
            update: dict[str, object] = {"id": f"{item.spec.id}-b{k}"}
            if k == copies - 1:
                update["hints"] = None
            virtual = f"{item.path}#bench-copy-{k}"
            problems.append(
                dataclasses.replace(item, spec=item.spec.model_copy(update=update), path=virtual)
            )
            if virtual not in files:
                files.append(virtual)
    return dataclasses.replace(parsed, problems=problems, files=files)


async def _count(conn: asyncpg.Connection, sql: str, *args: object) -> int:
    return int(await conn.fetchval(sql, *args) or 0)


async def ensure_dataset(
    url: str,
    dsn: str,
    *,
    students: int = 10_000,
    history_days: int = 20,
    copies: int = 8,
    say: Progress = _say,
) -> None:
    """Build whatever part of the data set is missing (each step checks before it works)."""
    started = time.monotonic()
    engine = create_engine(url)
    db = create_sessionmaker(engine)
    conn = await asyncpg.connect(dsn)
    try:
        bank = scaled_bank(copies)
        summary = await load_banks(db, bank)
        say(f"bank: {len(bank.problems)} problems ({summary})")

        last = FIRST_TELEGRAM_ID + students - 1
        have = await _count(
            conn,
            "SELECT count(*) FROM students WHERE telegram_id BETWEEN $1 AND $2",
            FIRST_TELEGRAM_ID,
            last,
        )
        if have < students:
            await conn.execute(
                """
                INSERT INTO students (telegram_id, name, grade, language, timezone,
                                      reminder_time, reachable, awaiting, created_at, updated_at)
                SELECT $1::bigint + i, 'Student ' || i, 6 + i % 3,
                       CASE WHEN i % 10 = 0 THEN 'bn' ELSE 'en' END, 'Asia/Dhaka',
                       NULL, true, NULL,
                       now() - interval '400 days', now() - interval '400 days'
                FROM generate_series(0, $2::int - 1) AS i
                ON CONFLICT (telegram_id) DO NOTHING
                """,
                FIRST_TELEGRAM_ID,
                students,
            )
            say(f"students: {students - have} inserted")
        else:
            say(f"students: {have} present")

        want_sessions = students * history_days
        have_sessions = await _count(
            conn,
            """SELECT count(*) FROM practice_sessions ps JOIN students s ON s.id = ps.student_id
               WHERE s.telegram_id BETWEEN $1 AND $2 AND ps.local_date < $3""",
            FIRST_TELEGRAM_ID,
            last,
            HISTORY_END,
        )
        if have_sessions < want_sessions:
            t0 = time.monotonic()
            # Five problems of the student's grade per day, spread deterministically.
            await conn.execute(
                """
                WITH g AS (
                    SELECT grade, array_agg(id ORDER BY id) AS ids
                    FROM problems WHERE active GROUP BY grade
                )
                INSERT INTO practice_sessions (student_id, local_date, status, problem_ids,
                    position, wrong_on_current, hints_on_current, correct_count, hints_total,
                    started_at, completed_at)
                SELECT s.id, $3::date + d, 'completed',
                       json_build_array(
                           g.ids[1 + (s.id * 37 + d * 11) % cardinality(g.ids)],
                           g.ids[1 + (s.id * 37 + d * 11 + 53) % cardinality(g.ids)],
                           g.ids[1 + (s.id * 37 + d * 11 + 106) % cardinality(g.ids)],
                           g.ids[1 + (s.id * 37 + d * 11 + 159) % cardinality(g.ids)],
                           g.ids[1 + (s.id * 37 + d * 11 + 212) % cardinality(g.ids)]),
                       4, 0, 0, 3, 1,
                       ($3::date + d) + time '11:00', ($3::date + d) + time '11:10'
                FROM students s JOIN g ON g.grade = s.grade
                CROSS JOIN generate_series(0, $4::int - 1) AS d
                WHERE s.telegram_id BETWEEN $1 AND $2
                ON CONFLICT (student_id, local_date, extra) DO NOTHING
                """,
                FIRST_TELEGRAM_ID,
                last,
                HISTORY_START,
                history_days,
            )
            say(f"history sessions: {want_sessions} in {time.monotonic() - t0:.0f}s")

        want_responses = want_sessions * RESPONSES_PER_SESSION
        have_responses = await _count(
            conn, "SELECT count(*) FROM responses WHERE idempotency_key < 0"
        )
        if have_responses < want_responses:
            t0 = time.monotonic()
            # Negative idempotency keys: they can never collide with a Telegram update id.
            await conn.execute(
                """
                INSERT INTO responses (session_id, student_id, problem_id, student_answer,
                    is_correct, confidence_score, hints_used, grader, idempotency_key, created_at)
                SELECT ps.id, ps.student_id, (ps.problem_ids ->> n)::int, 'x',
                       (ps.id + n) % 10 < 7, 1.0, 0, 'rule', -(ps.id * 5 + n),
                       ps.started_at + n * interval '1 minute'
                FROM practice_sessions ps CROSS JOIN generate_series(0, 4) AS n
                WHERE ps.local_date < $1
                ON CONFLICT (idempotency_key) DO NOTHING
                """,
                HISTORY_END,
            )
            say(f"history responses: {want_responses} in {time.monotonic() - t0:.0f}s")
            await conn.execute("ANALYZE")

        await conn.execute(
            """
            INSERT INTO streaks (student_id, current, longest, last_practice_date,
                                 milestones_achieved, freezes_available, updated_at)
            SELECT s.id, 3, 20, $3::date, '[3, 7, 14]', 0, now()
            FROM students s WHERE s.telegram_id BETWEEN $1 AND $2
            ON CONFLICT (student_id) DO NOTHING
            """,
            FIRST_TELEGRAM_ID,
            last,
            HISTORY_START + dt.timedelta(days=history_days - 1),
        )

        missing = [
            r["telegram_id"]
            for r in await conn.fetch(
                """SELECT s.telegram_id FROM students s
                   WHERE s.telegram_id BETWEEN $1 AND $2 AND NOT EXISTS (
                       SELECT 1 FROM practice_sessions ps
                       WHERE ps.student_id = s.id AND ps.local_date >= $3)
                   ORDER BY s.telegram_id""",
                FIRST_TELEGRAM_ID,
                last,
                HISTORY_END,
            )
        ]
        if missing:
            t0 = time.monotonic()
            settings = Settings(_env_file=None, database_url=url, telegram_bot_token=None)
            deps = Deps(db=db, settings=settings)
            gate = asyncio.Semaphore(8)

            async def start(telegram_id: int) -> None:
                async with gate:
                    outcome = await practice.start_practice(deps, telegram_id=telegram_id)
                    if outcome.kind != "problem":
                        raise RuntimeError(f"start_practice gave {outcome.kind} for {telegram_id}")

            for chunk in _chunks(missing, 1000):
                await asyncio.gather(*(start(tid) for tid in chunk))
            say(
                f"sessions in progress: {len(missing)} via start_practice in "
                f"{time.monotonic() - t0:.0f}s"
            )
            await conn.execute("ANALYZE")
    finally:
        await conn.close()
        await engine.dispose()
    say(f"ready in {time.monotonic() - started:.0f}s")


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def load_students(dsn: str, count: int) -> list[Student]:
    """The benchmark students (by telegram id) with their session in progress."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            """SELECT s.id, s.telegram_id, s.grade, s.language, ps.id AS session_id,
                      ps.problem_ids
               FROM students s JOIN practice_sessions ps
                 ON ps.student_id = s.id AND ps.local_date >= $3
               WHERE s.telegram_id BETWEEN $1 AND $2
               ORDER BY s.telegram_id""",
            FIRST_TELEGRAM_ID,
            FIRST_TELEGRAM_ID + count - 1,
            HISTORY_END,
        )
    finally:
        await conn.close()
    return [
        Student(
            student_id=r["id"],
            telegram_id=r["telegram_id"],
            grade=r["grade"],
            language=r["language"],
            session_id=r["session_id"],
            problem_ids=tuple(json.loads(r["problem_ids"])),
        )
        for r in rows
    ]


async def load_cards(url: str) -> dict[int, ProblemCard]:
    """Every problem as the tutor sees it (the generator needs the real answers)."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as s:
            rows = (await s.scalars(select(Problem))).all()
            return {row.id: ProblemCard.from_row(row) for row in rows}
    finally:
        await engine.dispose()


async def load_grades(dsn: str) -> dict[int, int]:
    """Grade of every active problem, by id."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT id, grade FROM problems WHERE active")
    finally:
        await conn.close()
    return {r["id"]: r["grade"] for r in rows}


async def reset_sessions(
    dsn: str,
    states: dict[int, int],
    *,
    problem_ids: dict[int, list[int]] | None = None,
) -> None:
    """Put each student's session in progress at step ``k`` (0–9: problem k//2, k%2 wrong
    tries so far), as if they had been answering wrong, right, wrong, right…"""
    ids = list(states)
    steps = [states[i] for i in ids]
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(
                """
                UPDATE practice_sessions ps SET status = 'in_progress', position = v.k / 2,
                    wrong_on_current = v.k % 2, hints_on_current = 0, correct_count = v.k / 2,
                    hints_total = 0, completed_at = NULL
                FROM unnest($1::int[], $2::int[]) AS v(sid, k)
                WHERE ps.student_id = v.sid AND ps.local_date >= $3
                """,
                ids,
                steps,
                HISTORY_END,
            )
            # Each finish then moves the streak on, as a student's first finish of a day does.
            await conn.execute(
                """
                UPDATE streaks st SET current = 3, longest = 20,
                    last_practice_date = ps.local_date - 1, freezes_available = 0
                FROM practice_sessions ps, unnest($1::int[]) AS v(sid)
                WHERE st.student_id = v.sid AND ps.student_id = v.sid AND ps.local_date >= $2
                """,
                ids,
                HISTORY_END,
            )
            if problem_ids:
                await conn.execute(
                    """
                    UPDATE practice_sessions ps SET problem_ids = v.p::json,
                        -- each problem's first variant (0 for an item): a session's seeds
                        -- must match its problems one to one
                        variant_seeds = (
                            SELECT json_agg(COALESCE((pr.variant_seeds ->> 0)::int, 0)
                                            ORDER BY t.n)
                            FROM json_array_elements_text(v.p::json) WITH ORDINALITY AS t(id, n)
                            JOIN problems pr ON pr.id = t.id::int)
                    FROM unnest($1::int[], $2::text[]) AS v(sid, p)
                    WHERE ps.student_id = v.sid AND ps.local_date >= $3
                    """,
                    list(problem_ids),
                    [json.dumps(p) for p in problem_ids.values()],
                    HISTORY_END,
                )
    finally:
        await conn.close()


async def forget_benchmark_answers(dsn: str) -> int:
    """Delete the responses earlier benchmark runs recorded (the history stays)."""
    conn = await asyncpg.connect(dsn)
    try:
        status = await conn.execute("DELETE FROM responses WHERE idempotency_key > 0")
        await conn.execute("DELETE FROM cost_records")
        await conn.execute("VACUUM ANALYZE responses")
    finally:
        await conn.close()
    return int(status.split()[-1])


async def next_update_id(dsn: str) -> int:
    """An update id above every one recorded, so a new emulator's updates are all new.

    Only positive keys count: the history's are negative, and on a fresh data set their
    maximum (-5) once made the first updates -4…-1, which getUpdates with offset 0 never
    hands out (Telegram's update ids are positive): those answers were never delivered and
    took the replies of later answers in their chats (the first soak of session 4)."""
    conn = await asyncpg.connect(dsn)
    try:
        last = await conn.fetchval(
            "SELECT coalesce(max(idempotency_key), 0) FROM responses WHERE idempotency_key > 0"
        )
        return int(last) + 1
    finally:
        await conn.close()
