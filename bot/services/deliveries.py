"""A claim ledger for scheduled messages, so each is sent once per period, by one process.

Every scheduled send (a reminder, a weekly summary) first claims the row (kind, recipient,
period) in ``deliveries``; whoever inserts or re-claims it owns the send. The row's life:

    claimed ──mark_sending──▶ claimed, sent_at set ──mark_sent──▶ sent
       │                                 │
       └──────────mark_failed────────────┴──▶ failed (claimed again later) / gave_up

A claim whose worker died is taken over once it is older than ``stale_after`` — but only if
the request never left (``sent_at`` is NULL). A request that did leave may have reached the
recipient, so such a claim is given up rather than risk sending the message twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries

STALE_AFTER = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
IN_DOUBT = "unconfirmed: the worker stopped after sending"


async def claim(
    db: async_sessionmaker[AsyncSession],
    *,
    kind: str,
    recipient_id: int,
    period: str,
    student_id: int | None,
    worker: str,
    now: dt.datetime,
    stale_after: dt.timedelta = STALE_AFTER,
    max_attempts: int = MAX_ATTEMPTS,
) -> bool:
    """True when ``worker`` now owns this send; False when it is done or someone else has it."""
    async with db.begin() as s:
        inserted = await queries.deliveries.insert_delivery_once(
            s,
            kind=kind,
            recipient_id=recipient_id,
            period=period,
            student_id=student_id,
            worker=worker,
            now=now,
        )
        if inserted:
            return True
        state = await queries.deliveries.get_delivery_state(
            s, kind=kind, recipient_id=recipient_id, period=period
        )
        if state is None or state.status in ("sent", "gave_up"):
            return False

        async def compare_and_set(values: dict[str, object]) -> bool:
            # A compare-and-set on the state just read: of two workers that read the same
            # row, only the first to write matches it; the other's update matches no row.
            return await queries.deliveries.update_delivery(
                s,
                kind=kind,
                recipient_id=recipient_id,
                period=period,
                status_in=(state.status,),
                claimed_at=state.claimed_at,
                attempts=state.attempts,
                values=values,
            )

        if state.status == "failed" and state.attempts >= max_attempts:
            await compare_and_set({"status": "gave_up"})
            return False
        if state.status == "claimed":
            if state.claimed_at > now - stale_after:
                return False  # its worker is (probably) still busy with it
            if state.sent_at is not None:
                await compare_and_set({"status": "gave_up", "last_error": IN_DOUBT})
                return False
        return await compare_and_set(
            {
                "status": "claimed",
                "attempts": state.attempts + 1,
                "claimed_by": worker,
                "claimed_at": now,
                "sent_at": None,
            }
        )


async def mark_sending(
    db: async_sessionmaker[AsyncSession],
    *,
    kind: str,
    recipient_id: int,
    period: str,
    worker: str,
    now: dt.datetime,
) -> bool:
    """Record that the request is about to leave; False if ``worker`` no longer owns the claim."""
    async with db.begin() as s:
        return await queries.deliveries.update_delivery(
            s,
            kind=kind,
            recipient_id=recipient_id,
            period=period,
            status_in=("claimed",),
            claimed_by=worker,
            unsent=True,
            values={"sent_at": now},
        )


async def mark_sent(
    db: async_sessionmaker[AsyncSession],
    *,
    kind: str,
    recipient_id: int,
    period: str,
    now: dt.datetime,
) -> None:
    """Telegram accepted the message: it is never sent again for this period."""
    async with db.begin() as s:
        await queries.deliveries.update_delivery(
            s,
            kind=kind,
            recipient_id=recipient_id,
            period=period,
            # A confirmed send is the truth even if a slow worker's claim was given up meanwhile.
            status_in=("claimed", "failed", "gave_up"),
            values={"status": "sent", "sent_at": now, "last_error": None},
        )


async def mark_failed(
    db: async_sessionmaker[AsyncSession],
    *,
    kind: str,
    recipient_id: int,
    period: str,
    error: str,
    give_up: bool,
) -> None:
    """The send failed: 'failed' is claimed again on a later run, 'gave_up' (blocked) never."""
    async with db.begin() as s:
        await queries.deliveries.update_delivery(
            s,
            kind=kind,
            recipient_id=recipient_id,
            period=period,
            status_in=("claimed",),
            values={
                "status": "gave_up" if give_up else "failed",
                "sent_at": None,
                "last_error": error[:200],
            },
        )
