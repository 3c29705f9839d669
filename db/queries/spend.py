"""The language-model budget: reserve before a call, settle after it, release stale ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import (
    CursorResult,
    Date,
    Table,
    case,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.models import (
    CostRecord,
    LlmSpend,
    LlmUserSpend,
)

# ---------------------------------------------------------------- the language-model budget


@dataclass(frozen=True, slots=True)
class Reservation:
    """A cost record for one model call: ``granted`` (status ``reserved``) or refused."""

    record_id: int
    granted: bool
    refused_by: str | None = None  # "global" or "student" when refused


# PostgreSQL, one statement (run it in autocommit): add the worst case to today's total if the
# total is still under its cap, then to the person's total (by user key) likewise, then write
# the cost record saying which happened. ON CONFLICT DO UPDATE ... WHERE re-checks the cap on
# the row's newest version under its row lock, which is released when the statement ends, so
# concurrent callers never wait on a lock held across a network round trip.
_RESERVE_PG = text(
    """
WITH g AS (
    INSERT INTO llm_spend AS t (day, scope, spent_usd)
    VALUES (CAST(:day AS DATE), 0, CAST(:cost AS NUMERIC))
    ON CONFLICT (day, scope) DO UPDATE SET spent_usd = t.spent_usd + EXCLUDED.spent_usd
    WHERE t.spent_usd < CAST(:global_cap AS NUMERIC)
    RETURNING scope
), s AS (
    INSERT INTO llm_user_spend AS t (day, user_key, spent_usd)
    SELECT CAST(:day AS DATE), CAST(:user_key AS VARCHAR), CAST(:cost AS NUMERIC)
    FROM g WHERE CAST(:user_key AS VARCHAR) IS NOT NULL
    ON CONFLICT (day, user_key) DO UPDATE SET spent_usd = t.spent_usd + EXCLUDED.spent_usd
    WHERE t.spent_usd < CAST(:student_cap AS NUMERIC)
    RETURNING user_key
), verdict AS (
    SELECT EXISTS (SELECT 1 FROM g) AS global_ok,
           (CAST(:user_key AS VARCHAR) IS NULL OR EXISTS (SELECT 1 FROM s)) AS student_ok
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


def _add_spend(day: dt.date, cost: Decimal, cap: Decimal) -> Any:
    stmt = sqlite.insert(LlmSpend).values(day=day, scope=0, spent_usd=cost)
    return stmt.on_conflict_do_update(
        index_elements=["day", "scope"],
        set_={"spent_usd": LlmSpend.spent_usd + stmt.excluded.spent_usd},
        where=LlmSpend.spent_usd < cap,
    ).returning(LlmSpend.scope)


def _add_user_spend(day: dt.date, user_key: str, cost: Decimal, cap: Decimal) -> Any:
    stmt = sqlite.insert(LlmUserSpend).values(day=day, user_key=user_key, spent_usd=cost)
    return stmt.on_conflict_do_update(
        index_elements=["day", "user_key"],
        set_={"spent_usd": LlmUserSpend.spent_usd + stmt.excluded.spent_usd},
        where=LlmUserSpend.spent_usd < cap,
    ).returning(LlmUserSpend.user_key)


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
    user_key: str | None = None,
) -> Reservation:
    """Reserve ``cost`` against today's global and per-person caps and record the call.

    The per-person cap applies when ``user_key`` (the keyed hash of the caller's Telegram
    id) is given; ``student_id`` only labels the cost record. A cap counts as reached once
    the total (reservations in flight included) is at or over it, so concurrent calls
    overshoot a cap by at most one call. On PostgreSQL give a session in autocommit (one
    statement); on SQLite a transaction (its write lock serializes).
    """
    conn = await session.connection()
    record = {
        "operation": operation,
        "model": model,
        "student_id": student_id,
        "problem_id": problem_id,
        "created_at": created_at,
    }
    if global_cap <= 0 or (user_key and student_cap <= 0):
        global_ok, student_ok = global_cap > 0, False
    elif conn.dialect.name == "postgresql":
        params = record | {"day": day, "user_key": user_key, "cost": cost}
        params |= {"global_cap": global_cap, "student_cap": student_cap}
        record_id, global_ok, student_ok = (await conn.execute(_RESERVE_PG, params)).one()
        if global_ok and not student_ok:
            await _take_back(session, day=day, user_key=None, cost=cost)
        return _reservation(record_id, global_ok, student_ok)
    else:
        global_ok = (await conn.execute(_add_spend(day, cost, global_cap))).first() is not None
        student_ok = not user_key
        if global_ok and user_key:
            added = await conn.execute(_add_user_spend(day, user_key, cost, student_cap))
            student_ok = added.first() is not None
            if not student_ok:
                await _take_back(session, day=day, user_key=None, cost=cost)
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
    session: AsyncSession, *, day: dt.date, user_key: str | None, cost: Decimal
) -> None:
    """Give ``cost`` back to the day's total, and to the person's with ``user_key``."""
    await session.execute(
        update(LlmSpend)
        .where(LlmSpend.day == day, LlmSpend.scope == 0)
        .values(spent_usd=LlmSpend.spent_usd - cost)
    )
    if user_key is not None:
        await session.execute(
            update(LlmUserSpend)
            .where(LlmUserSpend.day == day, LlmUserSpend.user_key == user_key)
            .values(spent_usd=LlmUserSpend.spent_usd - cost)
        )


# PostgreSQL, one statement: settle the cost record and give back to today's totals what
# the call cost less than its reservation (a data-modifying CTE always runs).
_SETTLE_PG = text(
    """
WITH spend AS (
    UPDATE llm_spend SET spent_usd = spent_usd - CAST(:give_back AS NUMERIC)
    WHERE CAST(:give_back AS NUMERIC) <> 0 AND day = CAST(:day AS DATE) AND scope = 0
    RETURNING scope
), user_spend AS (
    UPDATE llm_user_spend SET spent_usd = spent_usd - CAST(:give_back AS NUMERIC)
    WHERE CAST(:give_back AS NUMERIC) <> 0 AND day = CAST(:day AS DATE)
      AND user_key = CAST(:user_key AS VARCHAR)
    RETURNING user_key
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
    user_key: str | None,
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
        params |= {"user_key": user_key, "give_back": reserved - cost}
        await conn.execute(_SETTLE_PG, params)
        return
    table = cast(Table, CostRecord.__table__)
    await conn.execute(
        update(table).where(table.c.id == record_id).values(cost_usd=cost, **values)
    )
    if cost != reserved:
        await _take_back(session, day=day, user_key=user_key, cost=reserved - cost)


async def close_stale_reservations(session: AsyncSession, *, before: dt.datetime) -> int:
    """Mark reservations made before ``before`` as errors (their process died mid-call)."""
    result = await session.execute(
        update(CostRecord)
        .where(CostRecord.status == "reserved", CostRecord.created_at < before)
        .values(status="error")
        .execution_options(synchronize_session=False)
    )
    return int(cast("CursorResult[Any]", result).rowcount)


GroupBy = Literal["day", "operation", "model", "student"]


def _utc_day(session: AsyncSession) -> ColumnElement[Any]:
    """The UTC calendar day of a cost record, computed in SQL on either engine."""
    if session.get_bind().dialect.name == "postgresql":
        # timestamptz -> date would use the connection's time zone; pin it to UTC. A literal,
        # not a parameter, so GROUP BY matches the selected expression.
        return sql_cast(func.timezone(literal_column("'UTC'"), CostRecord.created_at), Date)
    # SQLite stores our timestamps as UTC text ("2026-03-10 06:00:00.000000").
    return func.date(CostRecord.created_at)


def _group_key(session: AsyncSession, by: GroupBy) -> ColumnElement[Any]:
    if by == "day":
        return _utc_day(session)
    if by == "operation":
        return CostRecord.operation.expression
    if by == "model":
        return CostRecord.model.expression
    if by == "student":
        return CostRecord.student_id.expression
    raise ValueError(f"cannot group a cost report by {by!r}")


async def cost_rows(
    session: AsyncSession, *, since: dt.datetime, until: dt.datetime, by: GroupBy
) -> list[Any]:
    """Per group: key, calls, failed, refused, prompt/cached/completion tokens, cost."""
    refused = CostRecord.status == "budget_exceeded"
    failed = CostRecord.status.in_(("error", "timeout"))
    key = _group_key(session, by).label("key")
    result = await session.execute(
        select(
            key,
            func.sum(case((refused, 0), else_=1)),
            func.sum(case((failed, 1), else_=0)),
            func.sum(case((refused, 1), else_=0)),
            func.sum(CostRecord.prompt_tokens),
            func.sum(CostRecord.cached_tokens),
            func.sum(CostRecord.completion_tokens),
            func.sum(CostRecord.cost_usd),
        )
        .where(CostRecord.created_at >= since, CostRecord.created_at < until)
        .group_by(key)
    )
    return list(result.all())


async def spend_totals(
    session: AsyncSession, *, starts: tuple[dt.datetime, ...], until: dt.datetime
) -> tuple[Any, ...]:
    """Money spent on calls made from each of ``starts`` until ``until`` (refusals cost 0)."""
    cost = CostRecord.cost_usd
    at = CostRecord.created_at
    row = (
        await session.execute(
            select(*(func.sum(case((at >= start, cost), else_=0)) for start in starts)).where(
                at >= min(starts),
                at < until,
                CostRecord.status != "budget_exceeded",
            )
        )
    ).one()
    return tuple(row)


async def delete_spend_before(session: AsyncSession, *, day: dt.date) -> int:
    """Forget each person's spending of days before ``day`` (UTC): their budget is daily."""
    result = await session.execute(delete(LlmUserSpend).where(LlmUserSpend.day < day))
    return int(cast("CursorResult[Any]", result).rowcount)
