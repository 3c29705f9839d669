"""Parents (guardians), their links to children, and invite codes.

Every function that reads a child's data for a parent takes the caller's own telegram_id and
filters by it, so ids that came from a client are never trusted alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Guardian,
    GuardianLink,
    InviteAttempt,
    InviteCode,
    Student,
)
from db.queries.dialect import dialect_insert

# ---------------------------------------------------------------- parents, teachers, operators
# Every function below that reads a child's data for a parent or a teacher takes the caller's
# own telegram_id and filters by it, so ids that came from a client are never trusted alone.


async def get_guardian(session: AsyncSession, *, telegram_id: int) -> Guardian | None:
    return await session.scalar(select(Guardian).where(Guardian.telegram_id == telegram_id))


async def create_guardian_once(session: AsyncSession, **values: Any) -> Guardian:
    """Insert a guardian unless one with this telegram_id exists, then load it."""
    stmt = dialect_insert(session, Guardian).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["telegram_id"]))
    guardian = await get_guardian(session, telegram_id=values["telegram_id"])
    assert guardian is not None
    return guardian


async def link_guardian_once(
    session: AsyncSession, *, guardian_id: int, student_id: int, now: dt.datetime
) -> bool:
    """Link a guardian to a student; False when they were already linked."""
    stmt = (
        dialect_insert(session, GuardianLink)
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


async def make_room_for_invite(
    session: AsyncSession,
    *,
    kind: str,
    student_id: int | None = None,
    class_id: int | None = None,
    keep: int,
    now: dt.datetime,
) -> int:
    """Before a new link of a student (or class): delete its expired links, and its open ones
    beyond the newest ``keep - 1``, so that one person's links stay at most ``keep``.

    Used links are kept until they expire (a parent who opens one again is told it is used).
    Returns how many rows went."""
    target = (
        InviteCode.student_id == student_id
        if kind == "parent"
        else (InviteCode.class_id == class_id)
    )
    mine = (InviteCode.kind == kind, target)
    expired = await session.execute(delete(InviteCode).where(*mine, InviteCode.expires_at <= now))
    open_ids = (
        await session.scalars(
            select(InviteCode.id)
            .where(*mine, InviteCode.used_at.is_(None), InviteCode.expires_at > now)
            .order_by(InviteCode.created_at.desc(), InviteCode.id.desc())
            .offset(max(keep - 1, 0))
        )
    ).all()
    removed = 0
    if open_ids:
        result = await session.execute(delete(InviteCode).where(InviteCode.id.in_(open_ids)))
        removed = int(result.rowcount)  # type: ignore[attr-defined]
    return int(expired.rowcount) + removed  # type: ignore[attr-defined]


async def delete_expired_invites(session: AsyncSession, *, now: dt.datetime) -> int:
    """Forget every link that no longer works (the daily clean-up)."""
    result = await session.execute(delete(InviteCode).where(InviteCode.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_attempts_before(session: AsyncSession, *, before: dt.datetime) -> int:
    """Forget link attempts older than the guessing limit looks back."""
    result = await session.execute(
        delete(InviteAttempt).where(InviteAttempt.attempted_at < before)
    )
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


async def delete_guardian(session: AsyncSession, *, telegram_id: int) -> bool:
    result = await session.execute(delete(Guardian).where(Guardian.telegram_id == telegram_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]
