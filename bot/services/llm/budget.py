"""The model's budget: reserve a call's worst-case cost before it, settle the real cost after.

Each call first *reserves* its worst case: one conditional upsert adds it to today's running
totals (all students, and this person; UTC day) only if each is still under its cap, and
writes the call's cost record as ``reserved`` (or ``budget_exceeded``). After the call the
record is settled with the real usage. The statements run in autocommit on PostgreSQL, so
no row lock outlives a statement and concurrent calls never queue on a network round trip.

A person's own total is kept under ``user_key``: an HMAC-SHA256 of their Telegram id, keyed
with a key derived from the bot's secrets (never stored in the database). It survives
/delete_my_data, so deleting one's data and starting again does not give a fresh budget,
and no Telegram id is stored with it; rows of past days are pruned daily.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.serving import metrics
from db import queries
from db.engine import autocommit_session

logger = logging.getLogger(__name__)

# A reservation older than this belongs to a process that died mid-call (the deadline is
# seconds); see release_stale_reservations.
STALE_RESERVATION = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Reserved:
    """A granted reservation: what settling it needs to know."""

    record_id: int
    day: dt.date
    user_key: str | None
    worst_case: Decimal


_KEY_CONTEXT = b"dars/llm_user_spend/v1"


def user_key(settings: Settings, telegram_id: int) -> str:
    """The key a person's daily spending is kept under: HMAC-SHA256 of their Telegram id.

    The HMAC key is derived from the bot token and the model's API key, which are in the
    environment and not in the database, so a copy of the database alone cannot tell whose
    total a row is (Telegram ids are few enough to try them all against a plain hash).
    Changing either secret starts the day's per-person totals again, once.
    """
    material = [_KEY_CONTEXT]
    for secret in (settings.telegram_bot_token, settings.openai_api_key):
        material.append(secret.get_secret_value().encode() if secret is not None else b"")
    key = hashlib.sha256(b"\0".join(material)).digest()
    return hmac.new(key, str(int(telegram_id)).encode("ascii"), hashlib.sha256).hexdigest()


async def reserve(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    operation: str,
    model: str,
    student_id: int | None,
    problem_id: int | None,
    worst_case: Decimal,
    now: dt.datetime,
) -> Reserved | None:
    """Record the call as reserved if both budgets allow it; else record the refusal."""
    day = now.astimezone(dt.UTC).date()
    try:
        async with autocommit_session(db) as s:
            telegram_id = (
                await queries.students.telegram_id_of(s, student_id=student_id)
                if student_id is not None
                else None
            )
            key = user_key(settings, telegram_id) if telegram_id is not None else None
            reservation = await queries.spend.reserve_llm_call(
                s,
                day=day,
                cost=worst_case,
                global_cap=settings.llm_daily_budget_global_usd,
                student_cap=settings.llm_daily_budget_per_student_usd,
                operation=operation,
                model=model,
                student_id=student_id,
                problem_id=problem_id,
                created_at=now,
                user_key=key,
            )
    except SQLAlchemyError:
        # Without a record we may not call: an unaccounted call could break the budget.
        logger.warning("could not reserve budget for %s; not calling the model", operation)
        return None
    if not reservation.granted:
        metrics.BUDGET_REFUSALS.labels(str(reservation.refused_by)).inc()
        logger.info(
            "%s for problem %s refused: %s daily budget reached",
            operation,
            problem_id,
            reservation.refused_by,
        )
        return None
    return Reserved(reservation.record_id, day, key, worst_case)


async def settle(
    db: async_sessionmaker[AsyncSession],
    reservation: Reserved,
    status: str,
    usage: Usage | None,
    cost: Decimal,
    started: float,
) -> None:
    """Replace the reservation with what the call really used and cost."""
    usage = usage or Usage()
    latency_ms = int((time.monotonic() - started) * 1000)
    try:
        async with autocommit_session(db) as s:
            await queries.spend.settle_llm_call(
                s,
                record_id=reservation.record_id,
                day=reservation.day,
                user_key=reservation.user_key,
                reserved=reservation.worst_case,
                cost=cost,
                status=status,
                prompt_tokens=usage.prompt_tokens,
                cached_tokens=usage.cached_tokens,
                completion_tokens=usage.completion_tokens,
                tokens_used=usage.total_tokens,
                latency_ms=latency_ms,
            )
    except SQLAlchemyError:
        # The reservation stays, counted at its worst case: safe for the budget.
        logger.warning("could not settle cost record %s", reservation.record_id)
        return
    logger.debug("cost record %s: %s, %d ms, $%s", reservation.record_id, status, latency_ms, cost)


async def release_stale_reservations(
    db: async_sessionmaker[AsyncSession],
    *,
    now: dt.datetime,
    older_than: dt.timedelta = STALE_RESERVATION,
) -> int:
    """Close out reservations left by a crashed process, so reports show them as errors.

    They keep their worst-case cost: the provider may have billed the call. Returns how many
    were closed. Safe to run at start-up or daily from any process.
    """
    async with db.begin() as s:
        return await queries.spend.close_stale_reservations(s, before=now - older_than)
