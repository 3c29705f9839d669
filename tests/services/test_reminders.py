"""Who is due a reminder (in their own time zone), and the claim ledger behind every send."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.services import deliveries, reminders
from bot.services.deps import Deps
from bot.services.reminders import streak_at_risk
from bot.services.streaks import StreakState
from db.models import Delivery, PracticeSession, Streak, Student
from tests.conftest import FakeClock

KIND = reminders.KIND


async def _student(
    deps: Deps,
    telegram_id: int,
    *,
    tz: str = "Asia/Dhaka",
    reminder: dt.time | None = dt.time(18, 0),
    grade: int | None = 7,
    reachable: bool = True,
    joined: dt.datetime | None = None,
) -> int:
    joined = joined or deps.clock() - dt.timedelta(days=3)
    async with deps.db.begin() as s:
        student = Student(
            telegram_id=telegram_id,
            name=f"S{telegram_id}",
            grade=grade,
            language="en",
            timezone=tz,
            reminder_time=reminder,
            reachable=reachable,
            created_at=joined,
            updated_at=joined,
        )
        s.add(student)
        await s.flush()
        return student.id


async def _practised(deps: Deps, student_id: int, day: str, *, status: str = "completed") -> None:
    async with deps.db.begin() as s:
        s.add(
            PracticeSession(
                student_id=student_id,
                local_date=dt.date.fromisoformat(day),
                status=status,
                problem_ids=[],
            )
        )


async def _streak(deps: Deps, student_id: int, current: int, last: str, freezes: int = 0) -> None:
    async with deps.db.begin() as s:
        s.add(
            Streak(
                student_id=student_id,
                current=current,
                longest=current,
                last_practice_date=dt.date.fromisoformat(last),
                milestones_achieved=[],
                freezes_available=freezes,
            )
        )


async def _due(deps: Deps) -> dict[int, reminders.DueReminder]:
    return {d.telegram_id: d for d in await reminders.due_reminders(deps.db, now=deps.clock())}


async def _claim(deps: Deps, telegram_id: int, *, worker: str = "w1", period: str = "") -> bool:
    return await deliveries.claim(
        deps.db,
        kind=KIND,
        recipient_id=telegram_id,
        period=period or "2026-03-10",
        student_id=None,
        worker=worker,
        now=deps.clock(),
    )


async def _row(deps: Deps, telegram_id: int, period: str = "2026-03-10") -> Delivery:
    async with deps.db() as s:
        row = await s.scalar(
            select(Delivery).where(Delivery.recipient_id == telegram_id, Delivery.period == period)
        )
    assert row is not None
    return row


# ---------------------------------------------------------------- who is due


async def test_due_once_the_local_reminder_time_has_passed(deps: Deps, clock: FakeClock) -> None:
    await _student(deps, 1)
    clock.set_local("2026-03-10T17:59")
    assert await _due(deps) == {}
    clock.set_local("2026-03-10T18:00")
    due = await _due(deps)
    assert list(due) == [1]
    assert due[1].local_date == dt.date(2026, 3, 10)
    assert due[1].period == "2026-03-10"
    assert (due[1].name, due[1].language) == ("S1", "en")


async def test_finishing_today_stops_the_reminder_but_starting_does_not(
    deps: Deps, clock: FakeClock
) -> None:
    done, started, yesterday = [await _student(deps, i) for i in (1, 2, 3)]
    await _practised(deps, done, "2026-03-10")
    await _practised(deps, started, "2026-03-10", status="in_progress")
    await _practised(deps, yesterday, "2026-03-09")
    clock.set_local("2026-03-10T19:00")
    assert sorted(await _due(deps)) == [2, 3]


async def test_reminded_once_per_local_day(deps: Deps, clock: FakeClock) -> None:
    for telegram_id in (1, 2, 3, 4):
        await _student(deps, telegram_id)
    clock.set_local("2026-03-10T18:30")
    for telegram_id in (1, 2, 3):
        assert await _claim(deps, telegram_id)
    kw = {"kind": KIND, "period": "2026-03-10"}
    await deliveries.mark_sent(deps.db, recipient_id=1, now=clock(), **kw)
    await deliveries.mark_failed(deps.db, recipient_id=2, error="x", give_up=False, **kw)
    await deliveries.mark_failed(deps.db, recipient_id=3, error="x", give_up=True, **kw)
    # Sent and given up are done for the day; failed is retried; unclaimed is due.
    assert sorted(await _due(deps)) == [2, 4]
    clock.set_local("2026-03-11T17:00")
    assert await _due(deps) == {}
    clock.set_local("2026-03-11T18:00")
    due = await _due(deps)
    assert sorted(due) == [1, 2, 3, 4]
    assert {d.local_date for d in due.values()} == {dt.date(2026, 3, 11)}


async def test_never_due_when_off_unreachable_not_onboarded_or_new_today(
    deps: Deps, clock: FakeClock
) -> None:
    clock.set_local("2026-03-10T20:00")
    await _student(deps, 1, reminder=None)
    await _student(deps, 2, reachable=False)
    await _student(deps, 3, grade=None)
    # Joined this morning: they are with us today; reminders start tomorrow.
    await _student(deps, 4, joined=clock() - dt.timedelta(hours=10))
    await _student(deps, 5, joined=clock() - dt.timedelta(hours=21))
    assert list(await _due(deps)) == [5]
    clock.set_local("2026-03-11T18:00")
    assert sorted(await _due(deps)) == [4, 5]


async def test_london_and_dhaka_at_the_same_instant(deps: Deps, clock: FakeClock) -> None:
    await _student(deps, 1, tz="Asia/Dhaka")
    await _student(deps, 2, tz="Europe/London")
    await _student(deps, 3, tz="Asia/Dhaka", reminder=dt.time(0, 15))
    # 12:30 UTC = 18:30 in Dhaka (UTC+6), 12:30 in London (GMT in March).
    clock.now = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.UTC)
    due = await _due(deps)
    assert sorted(due) == [1, 3]
    # 18:30 UTC = 18:30 in London; in Dhaka it is already 00:30 on the 11th.
    clock.now = dt.datetime(2026, 3, 10, 18, 30, tzinfo=dt.UTC)
    due = await _due(deps)
    assert sorted(due) == [2, 3]
    assert due[2].local_date == dt.date(2026, 3, 10)
    assert due[3].local_date == dt.date(2026, 3, 11)  # a new local day, though not in UTC


async def test_summer_time_is_local_time(deps: Deps, clock: FakeClock) -> None:
    await _student(deps, 1, tz="Europe/London", reminder=dt.time(17, 30))
    clock.now = dt.datetime(2026, 1, 15, 16, 45, tzinfo=dt.UTC)  # 16:45 GMT
    assert await _due(deps) == {}
    clock.now = dt.datetime(2026, 7, 1, 16, 45, tzinfo=dt.UTC)  # 17:45 BST
    assert list(await _due(deps)) == [1]


async def test_streak_at_risk_when_today_decides_it(deps: Deps, clock: FakeClock) -> None:
    yesterday = await _student(deps, 1)
    await _streak(deps, yesterday, 4, "2026-03-09")
    frozen_yesterday = await _student(deps, 2)
    await _streak(deps, frozen_yesterday, 6, "2026-03-09", freezes=1)
    frozen_gap = await _student(deps, 3)
    await _streak(deps, frozen_gap, 6, "2026-03-08", freezes=1)
    lost = await _student(deps, 4)
    await _streak(deps, lost, 9, "2026-03-08")
    await _student(deps, 5)
    clock.set_local("2026-03-10T18:00")
    due = await _due(deps)
    got = {k: (d.streak_current, d.streak_at_risk) for k, d in due.items()}
    assert got == {1: (4, True), 2: (6, False), 3: (6, True), 4: (0, False), 5: (0, False)}


def test_streak_at_risk_rule() -> None:
    today = dt.date(2026, 3, 10)
    assert streak_at_risk(StreakState(current=1, last_practice_date=dt.date(2026, 3, 9)), today)
    assert not streak_at_risk(StreakState(current=1, last_practice_date=today), today)
    assert not streak_at_risk(StreakState(current=0, last_practice_date=None), today)


async def test_many_students_in_several_time_zones(deps: Deps, clock: FakeClock) -> None:
    zones = ("Asia/Dhaka", "Europe/London", "America/New_York")
    joined = clock() - dt.timedelta(days=3)
    async with deps.db.begin() as s:
        s.add_all(
            Student(
                telegram_id=10_000 + i,
                name="S",
                grade=6,
                language="bn",
                timezone=zones[i % 3],
                reminder_time=dt.time(i % 24, 0),
                reachable=True,
                created_at=joined,
                updated_at=joined,
            )
            for i in range(3000)
        )
    clock.now = dt.datetime(2026, 3, 10, 15, 30, tzinfo=dt.UTC)
    # Local times: Dhaka 21:30, London 15:30, New York 11:30 (EDT since 8 March).
    due = await _due(deps)
    expected = {10_000 + i for i in range(3000) if i % 24 <= {0: 21, 1: 15, 2: 11}[i % 3]}
    assert set(due) == expected


# ---------------------------------------------------------------- the claim ledger


async def test_of_concurrent_claims_exactly_one_wins(deps: Deps) -> None:
    results = await asyncio.gather(*(_claim(deps, 77, worker=f"w{i}") for i in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    row = await _row(deps, 77)
    assert (row.status, row.attempts) == ("claimed", 1)


async def test_a_failed_send_is_claimed_again_until_max_attempts(
    deps: Deps, clock: FakeClock
) -> None:
    kw: dict[str, Any] = {"kind": KIND, "recipient_id": 5, "period": "2026-03-10"}
    for attempt in range(1, deliveries.MAX_ATTEMPTS + 1):
        assert await _claim(deps, 5, worker=f"w{attempt}")
        assert not await _claim(deps, 5, worker="other")  # claimed and fresh
        row = await _row(deps, 5)
        assert (row.status, row.attempts, row.claimed_by) == ("claimed", attempt, f"w{attempt}")
        await deliveries.mark_failed(deps.db, error="Timed out", give_up=False, **kw)
        clock.advance(minutes=1)
    assert not await _claim(deps, 5)
    row = await _row(deps, 5)
    assert (row.status, row.attempts, row.last_error) == ("gave_up", 5, "Timed out")


async def test_a_stale_claim_is_taken_over_unless_its_request_left(
    deps: Deps, clock: FakeClock
) -> None:
    kw = {"kind": KIND, "period": "2026-03-10"}
    assert await _claim(deps, 1, worker="dead")
    assert await _claim(deps, 2, worker="dead")
    assert await deliveries.mark_sending(deps.db, recipient_id=2, worker="dead", now=clock(), **kw)
    clock.advance(minutes=9)
    assert not await _claim(deps, 1, worker="alive")
    clock.advance(minutes=2)
    # Never reached Telegram: safe to send again.
    assert await _claim(deps, 1, worker="alive")
    row = await _row(deps, 1)
    assert (row.status, row.attempts, row.claimed_by) == ("claimed", 2, "alive")
    assert not await deliveries.mark_sending(
        deps.db, recipient_id=1, worker="dead", now=clock(), **kw
    ), "the dead worker must not send what it no longer owns"
    # Its request left: it may have arrived, so it is not sent a second time.
    assert not await _claim(deps, 2, worker="alive")
    row = await _row(deps, 2)
    assert (row.status, row.last_error) == ("gave_up", deliveries.IN_DOUBT)


async def test_racing_takeovers_of_a_stale_claim_have_one_winner(
    deps: Deps, clock: FakeClock
) -> None:
    assert await _claim(deps, 9, worker="dead")
    clock.advance(minutes=30)
    results = await asyncio.gather(*(_claim(deps, 9, worker=f"w{i}") for i in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    assert (await _row(deps, 9)).attempts == 2


async def test_a_sent_message_is_never_claimed_again(deps: Deps, clock: FakeClock) -> None:
    kw: dict[str, Any] = {"kind": KIND, "recipient_id": 3, "period": "2026-03-10"}
    assert await _claim(deps, 3)
    await deliveries.mark_sent(deps.db, now=clock(), **kw)
    await deliveries.mark_failed(deps.db, error="late", give_up=False, **kw)  # no effect
    clock.advance(days=2)
    assert not await _claim(deps, 3, worker="w2")
    row = await _row(deps, 3)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock() - dt.timedelta(days=2))
    # Another period (the next day) is a new delivery.
    assert await _claim(deps, 3, period="2026-03-11")
