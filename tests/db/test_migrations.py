"""The schema comes only from Alembic: upgrade, stairway, no drift, constraints in the database."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, Numeric, bindparam, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrate
from db.engine import create_engine
from db.models import Base

REVISIONS = [
    rev.revision
    for rev in reversed(
        list(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).walk_revisions())
    )
]


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


def _diff(url: str) -> list[object]:
    async def run() -> list[object]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_stairway_and_no_drift_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stairway.sqlite3'}"
    _stairway(url)


def test_stairway_and_no_drift_on_postgresql(fresh_pg_url: str) -> None:
    _stairway(fresh_pg_url)


def _stairway(url: str) -> None:
    for revision in REVISIONS:
        migrate.upgrade(url, revision)
        migrate.downgrade(url, "-1")
        migrate.upgrade(url, revision)
    assert _diff(url) == [], "models and migrations disagree: write a migration"
    migrate.downgrade(url, "base")
    migrate.upgrade(url, "head")
    assert _diff(url) == []


async def test_head_creates_every_table(engine: AsyncEngine) -> None:
    assert set(Base.metadata.tables) <= await _tables(engine)
    assert "alembic_version" in await _tables(engine)


async def _insert_student(conn, telegram_id: int, grade: int = 6) -> int:
    result = await conn.execute(
        text(
            "INSERT INTO students (telegram_id, name, grade, language, timezone, reachable,"
            " created_at, updated_at) VALUES (:t, 'A', :g, 'en', 'Asia/Dhaka', true, :n, :n)"
            " RETURNING id"
        ),
        {"t": telegram_id, "g": grade, "n": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
    )
    return int(result.scalar_one())


async def _insert_problem(conn, key: str, difficulty: int = 1) -> int:
    result = await conn.execute(
        text(
            "INSERT INTO problems (key, grade, topic, difficulty, question_en, question_bn,"
            " answer, answer_type, accept, source_file, content_hash, active, created_at,"
            " updated_at) VALUES (:k, 6, 'integers', :d, 'q', 'প্র', '1', 'numeric', '[]', 'f',"
            " 'h', true, :n, :n) RETURNING id"
        ),
        {"k": key, "d": difficulty, "n": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
    )
    return int(result.scalar_one())


async def _rejected(engine: AsyncEngine, statement) -> bool:
    try:
        async with engine.begin() as conn:
            await statement(conn)
    except IntegrityError:
        return True
    return False


async def test_database_rejects_bad_rows(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await _insert_student(conn, 1)
    assert await _rejected(engine, lambda c: _insert_student(c, 1)), "duplicate telegram_id"
    assert await _rejected(engine, lambda c: _insert_student(c, 2, grade=5)), "grade 5"
    assert await _rejected(engine, lambda c: _insert_problem(c, "p0", difficulty=0)), "diff 0"

    async with engine.begin() as conn:
        student = await _insert_student(conn, 3)
        problem = await _insert_problem(conn, "p1")
        session = (
            await conn.execute(
                text(
                    "INSERT INTO practice_sessions (student_id, local_date, status, problem_ids,"
                    " position, wrong_on_current, hints_on_current, correct_count, hints_total,"
                    " started_at) VALUES (:s, '2026-01-01', 'in_progress', '[1]', 0, 0, 0, 0, 0,"
                    " :n) RETURNING id"
                ),
                {"s": student, "n": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
            )
        ).scalar_one()

    def response(hints: int, key: int):
        async def run(conn) -> None:
            await conn.execute(
                text(
                    "INSERT INTO responses (session_id, student_id, problem_id, student_answer,"
                    " is_correct, hints_used, grader, idempotency_key, created_at) VALUES"
                    " (:s, :st, :p, '1', true, :h, 'rule', :k, :n)"
                ),
                {
                    "s": session,
                    "st": student,
                    "p": problem,
                    "h": hints,
                    "k": key,
                    "n": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                },
            )

        return run

    assert not await _rejected(engine, response(3, 10))
    assert await _rejected(engine, response(4, 11)), "hints_used 4"
    assert await _rejected(engine, response(0, 10)), "duplicate idempotency key"
    # Problems are never deleted while responses point at them.
    assert await _rejected(
        engine, lambda c: c.execute(text("DELETE FROM problems WHERE id = :p"), {"p": problem})
    )


async def test_database_errors_do_not_carry_personal_data(engine: AsyncEngine) -> None:
    """Errors end up in logs: they must not quote the row's values (names, Telegram ids)."""
    async with engine.begin() as conn:
        await _insert_student(conn, 987654321)
    try:
        async with engine.begin() as conn:
            await _insert_student(conn, 987654321)
    except IntegrityError as exc:
        assert "987654321" not in str(exc)
    else:
        raise AssertionError("a duplicate telegram_id was accepted")


def _backfill(url: str) -> set[tuple[str, int, str]]:
    """Cost records written before 0004 become that revision's daily totals."""
    migrate.upgrade(url, "0003")

    async def seed() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                student = await _insert_student(conn, 501)
                rows = [  # (UTC time, student, cost)
                    (dt.datetime(2026, 3, 9, 23, 59, tzinfo=dt.UTC), student, "0.25"),
                    (dt.datetime(2026, 3, 10, 0, 1, tzinfo=dt.UTC), student, "0.5"),
                    (dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC), None, "1.125"),
                    (dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC), student, "0"),
                ]
                for at, who, cost in rows:
                    await conn.execute(
                        text(
                            "INSERT INTO cost_records (operation, model, prompt_tokens,"
                            " cached_tokens, completion_tokens, tokens_used, cost_usd,"
                            " latency_ms, status, student_id, created_at) VALUES ("
                            "'hint_generation', 'm', 0, 0, 0, 0, :cost, 0, 'ok', :who, :at)"
                        ).bindparams(
                            bindparam("cost", type_=Numeric(12, 8)),
                            bindparam("at", type_=DateTime(timezone=True)),
                        ),
                        {"cost": Decimal(cost), "who": who, "at": at},
                    )
        finally:
            await engine.dispose()

    async def totals() -> set[tuple[str, int, str]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(text("SELECT day, scope, spent_usd FROM llm_spend"))
                return {(str(d), s if s == 0 else -1, f"{float(v):g}") for d, s, v in found}
        finally:
            await engine.dispose()

    asyncio.run(seed())
    # 0007 moves per-student totals to llm_user_spend (keyed by a hash it cannot compute).
    migrate.upgrade(url, "0006")
    return asyncio.run(totals())


def test_0004_fills_the_daily_totals_from_cost_records(tmp_path: Path, fresh_pg_url: str) -> None:
    # Scope -1 stands for "the student" (their id differs per engine); UTC days, not Dhaka's.
    expected = {
        ("2026-03-09", 0, "0.25"),
        ("2026-03-09", -1, "0.25"),
        ("2026-03-10", 0, "1.625"),
        ("2026-03-10", -1, "0.5"),
    }
    assert _backfill(f"sqlite+aiosqlite:///{tmp_path / 'backfill.sqlite3'}") == expected
    assert _backfill(fresh_pg_url) == expected
