"""Reminder fan-outs end to end on PostgreSQL and the Bot API emulator: Telegram's limits,
blocked students, two workers, two real `dars run` processes, and a process killed mid-send."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import telegram
from sqlalchemy import insert, select, text

from bot.app import build_application
from bot.jobs.reminders import CONCURRENCY, reminder_text, send_due_reminders
from bot.jobs.sender import RateLimitedSender
from bot.services import deliveries
from bot.services.deps import Deps
from bot.services.reminders import DueReminder
from bot.serving.http import AiohttpRequest
from botapi_emulator import BotApiEmulator
from db.engine import create_engine, create_sessionmaker
from db.models import Delivery, Streak, Student
from tests.conftest import FakeClock

FIRST_ID = 50_000


async def _add_students(
    deps: Deps,
    count: int,
    *,
    joined: dt.datetime,
    tz: str = "Asia/Dhaka",
    reminder: dt.time = dt.time(18, 0),
) -> list[int]:
    ids = [FIRST_ID + i for i in range(count)]
    async with deps.db.begin() as s:
        await s.execute(
            insert(Student),
            [
                {
                    "telegram_id": telegram_id,
                    "name": f"S{telegram_id}",
                    "grade": 7,
                    "language": "bn" if telegram_id % 10 == 0 else "en",
                    "timezone": tz,
                    "reminder_time": reminder,
                    "reachable": True,
                    "created_at": joined,
                    "updated_at": joined,
                }
                for telegram_id in ids
            ],
        )
    return ids


def _received(emus: Iterable[BotApiEmulator]) -> Counter[int | str | None]:
    """Reminders that arrived, per chat, over every emulator."""
    return Counter(c.chat_id for emu in emus for c in emu.calls_to("sendMessage"))


@pytest.fixture
async def tg(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(
        emu.token, base_url=emu.base_url, request=AiohttpRequest(connection_pool_size=16)
    )
    async with bot:
        yield bot


def test_reminder_texts_in_both_languages() -> None:
    due = DueReminder(1, 2, "Rahim", "bn", dt.date(2026, 3, 10), 12, streak_at_risk=False)
    assert reminder_text(due, count=5) == "⏰ হাই Rahim! আজকের ৫টি সমস্যা তোমার জন্য অপেক্ষা করছে।"
    at_risk = DueReminder(1, 2, "Rahim", "bn", dt.date(2026, 3, 10), 12, streak_at_risk=True)
    assert "🔥 টানা ১২ দিনের" in reminder_text(at_risk, count=5)
    english = DueReminder(1, 2, "Mina", "en", dt.date(2026, 3, 10), 4, streak_at_risk=True)
    assert reminder_text(english, count=5).startswith("⏰ Hi Mina! Your 🔥 4-day streak")


# ---------------------------------------------------------------- one process


async def test_fan_out_within_limits_once_each_blocked_never_again(
    emu: BotApiEmulator, tg: telegram.Bot, e2e_deps: Deps
) -> None:
    clock = e2e_deps.clock
    assert isinstance(clock, FakeClock)
    ids = await _add_students(e2e_deps, 60, joined=clock() - dt.timedelta(days=3))
    async with e2e_deps.db.begin() as s:
        first = await s.scalar(select(Student.id).where(Student.telegram_id == ids[1]))
        assert first is not None
        s.add(
            Streak(student_id=first, current=4, longest=4, last_practice_date=dt.date(2026, 3, 9))
        )
    blocked = {ids[7], ids[23], ids[41]}  # 5%
    emu.forbidden_chats.update(blocked)
    emu.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    sender = RateLimitedSender(tg, per_second=e2e_deps.settings.send_rate_per_second)
    clock.set_local("2026-03-10T18:05")

    result = await send_due_reminders(e2e_deps, sender, worker="w1")

    assert (result.sent, result.blocked, result.failed, result.skipped_already_claimed) == (
        57,
        3,
        0,
        0,
    )
    assert emu.too_many_requests == 0
    assert _received([emu]) == {i: 1 for i in ids if i not in blocked}
    assert emu.sent_texts(ids[1]) == [
        "⏰ Hi S50001! Your 🔥 4-day streak ends tonight unless you practise today."
    ]
    assert emu.sent_texts(ids[10]) == ["⏰ হাই S50010! আজকের ৫টি সমস্যা তোমার জন্য অপেক্ষা করছে।"]
    message = emu.chat_messages(ids[2])[0]
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"
    async with e2e_deps.db() as s:
        unreachable = set(
            await s.scalars(select(Student.telegram_id).where(Student.reachable.is_(False)))
        )
        statuses = Counter((await s.scalars(select(Delivery.status))).all())
    assert unreachable == blocked
    assert statuses == {"sent": 57, "gave_up": 3}

    # Later the same day: nothing more. The next day: everyone reachable, once more.
    clock.set_local("2026-03-10T21:00")
    assert (await send_due_reminders(e2e_deps, sender, worker="w1")).total == 0
    clock.set_local("2026-03-11T18:01")
    again = await send_due_reminders(e2e_deps, sender, worker="w1")
    assert (again.sent, again.blocked, again.total) == (57, 0, 57)
    assert _received([emu]) == {i: 2 for i in ids if i not in blocked}
    for chat in blocked:  # tried once on the first day, never again
        assert len(emu.calls_to("sendMessage", chat, include_failed=True)) == 1


async def test_two_workers_at_once_remind_everyone_once(
    emu: BotApiEmulator, e2e_deps: Deps, pg_url: str
) -> None:
    clock = e2e_deps.clock
    assert isinstance(clock, FakeClock)
    ids = await _add_students(e2e_deps, 60, joined=clock() - dt.timedelta(days=3))
    clock.set_local("2026-03-10T18:30")
    # Two senders at 25/s each against a 10/s limit: 429s are certain (even on a busy
    # machine), and must cost nothing.
    emu.set_rate_limits(global_per_second=10, per_chat_per_second=1)

    async def worker(name: str) -> tuple[int, int]:
        engine = create_engine(pg_url)
        deps = Deps(db=create_sessionmaker(engine), settings=e2e_deps.settings, clock=clock)
        bot = telegram.Bot(
            emu.token, base_url=emu.base_url, request=AiohttpRequest(connection_pool_size=16)
        )
        try:
            async with bot:
                result = await send_due_reminders(deps, RateLimitedSender(bot), worker=name)
        finally:
            await engine.dispose()
        return result.sent, result.skipped_already_claimed

    (sent_a, skipped_a), (sent_b, skipped_b) = await asyncio.gather(worker("a"), worker("b"))
    print(f"sent {sent_a}+{sent_b}, skipped {skipped_a}+{skipped_b}, {emu.too_many_requests} 429s")

    assert sent_a + sent_b == 60
    assert emu.too_many_requests > 0
    assert _received([emu]) == dict.fromkeys(ids, 1)
    async with e2e_deps.db() as s:
        rows = (await s.execute(select(Delivery.status, Delivery.claimed_by))).all()
    assert Counter(status for status, _ in rows) == {"sent": 60}
    assert Counter(by for _, by in rows) == {"a": sent_a, "b": sent_b}


async def test_shutting_down_stops_claiming_and_leaves_the_rest_for_later(
    emu: BotApiEmulator, tg: telegram.Bot, e2e_deps: Deps
) -> None:
    clock = e2e_deps.clock
    assert isinstance(clock, FakeClock)
    ids = await _add_students(e2e_deps, 30, joined=clock() - dt.timedelta(days=3))
    clock.set_local("2026-03-10T18:30")
    sender = RateLimitedSender(tg)

    def running() -> bool:
        return len(emu.calls_to("sendMessage")) < 5

    stopped = await send_due_reminders(e2e_deps, sender, worker="w1", keep_going=running)
    assert 5 <= stopped.sent <= 5 + CONCURRENCY
    async with e2e_deps.db() as s:
        claimed = Counter((await s.scalars(select(Delivery.status))).all())
    assert claimed == {"sent": stopped.sent}  # nothing claimed and left hanging
    rest = await send_due_reminders(e2e_deps, sender, worker="w2")
    assert stopped.sent + rest.sent == 30
    assert _received([emu]) == dict.fromkeys(ids, 1)


def test_the_reminder_job_is_registered_to_survive_late_starts(e2e_deps: Deps) -> None:
    settings = e2e_deps.settings.model_copy(update={"reminder_check_interval_seconds": 30})
    app = build_application(settings, deps=e2e_deps)
    assert app.job_queue is not None
    jobs = {job.name: job for job in app.job_queue.jobs()}
    assert set(jobs) == {"reminders", "summaries", "housekeeping"}
    for job in jobs.values():
        assert job.job.coalesce is True
        assert job.job.max_instances == 1
        assert job.job.misfire_grace_time >= 300


# ---------------------------------------------------------------- real `dars run` processes


def _start_dars(emu: BotApiEmulator, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "DATABASE_URL": database_url,
        "REMINDER_CHECK_INTERVAL_SECONDS": "5",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.pop("OPENAI_API_KEY", None)
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _kill(*processes: subprocess.Popen[bytes]) -> None:
    # SIGKILL: a graceful stop is not under test here, and PTB's takes five seconds.
    for process in processes:
        if process.poll() is None:
            process.kill()
    for process in processes:
        process.wait(timeout=10)


async def _until(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float, what: str, log: Path
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        met = condition()
        if inspect.isawaitable(met):
            met = await met
        if met:
            return
        if loop.time() > deadline:
            tail = log.read_text()[-3000:]  # noqa: ASYNC240 - a failing test's last words
            raise AssertionError(f"timed out waiting for {what}; log:\n{tail}")
        await asyncio.sleep(0.1)


def _zone_away_from_midnight() -> str:
    """A time zone where it is not close to midnight now, so the local date holds still."""
    now = dt.datetime.now(dt.UTC)
    for zone in ("Asia/Dhaka", "Europe/London", "America/New_York"):
        if 1 <= now.astimezone(ZoneInfo(zone)).hour <= 22:
            return zone
    raise AssertionError("unreachable: those zones are at least five hours apart")


async def _real_time_students(deps: Deps, count: int) -> list[int]:
    """Students due right now by the real clock (the subprocesses use it)."""
    joined = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    return await _add_students(
        deps, count, joined=joined, tz=_zone_away_from_midnight(), reminder=dt.time(0, 0)
    )


async def test_two_dars_processes_remind_everyone_once(
    emu: BotApiEmulator, e2e_deps: Deps, pg_url: str, tmp_path: Path
) -> None:
    ids = await _real_time_students(e2e_deps, 40)
    log = tmp_path / "dars.log"
    # Each process polls its own emulator (one getUpdates per token) and sends to the same
    # students; a student may hear from either bot, but only from one of them, once.
    async with BotApiEmulator(token="654321:SECOND") as second:
        emus = [emu, second]
        processes = [_start_dars(e, pg_url, log) for e in emus]
        try:
            await _until(
                lambda: sum(_received(emus).values()) >= len(ids),
                within=30,
                what="every reminder",
                log=log,
            )
            await asyncio.sleep(5.5)  # one more run of each process: it must find nothing
        finally:
            _kill(*processes)
        assert _received(emus) == dict.fromkeys(ids, 1)
        print("reminders per process:", [len(e.calls_to("sendMessage")) for e in emus])


async def test_killed_mid_fan_out_no_duplicate_no_loss(
    emu: BotApiEmulator, e2e_deps: Deps, pg_url: str, tmp_path: Path
) -> None:
    ids = await _real_time_students(e2e_deps, 40)
    log = tmp_path / "dars.log"
    emu.response_delay = 0.3  # a slow Telegram: several sends are in flight at the kill
    process = _start_dars(emu, pg_url, log)
    try:
        await _until(
            lambda: len(emu.calls_to("sendMessage")) >= 8, within=30, what="sends", log=log
        )
    finally:
        _kill(process)  # mid-fan-out: claims taken, some requests on their way
    await asyncio.sleep(0.5)  # requests that were on their way still arrive
    first_run = _received([emu])
    assert max(first_run.values()) == 1
    assert len(first_run) < len(ids), "the kill came too late to test anything"

    # The dead process's claims look abandoned once stale_after has passed (the subprocess
    # runs on the real clock, so move the claims back rather than wait ten minutes).
    async with e2e_deps.db.begin() as s:
        claimed = list(
            await s.scalars(select(Delivery.sent_at).where(Delivery.status == "claimed"))
        )
        await s.execute(
            text(
                "UPDATE deliveries SET claimed_at = claimed_at - make_interval(secs => :age)"
                " WHERE status = 'claimed'"
            ),
            {"age": (deliveries.STALE_AFTER + dt.timedelta(minutes=1)).total_seconds()},
        )
    in_flight = sum(1 for sent_at in claimed if sent_at is not None)

    async def settled() -> bool:
        async with e2e_deps.db() as s:
            statuses = Counter((await s.scalars(select(Delivery.status))).all())
        return statuses.total() == len(ids) and set(statuses) <= {"sent", "gave_up"}

    restarted = _start_dars(emu, pg_url, log)
    try:
        await _until(settled, within=30, what="every delivery settled", log=log)
    finally:
        _kill(restarted)

    received = _received([emu])
    assert max(received.values()) == 1, "someone was reminded twice"
    async with e2e_deps.db() as s:
        rows = dict((await s.execute(select(Delivery.recipient_id, Delivery.last_error))).all())
    missing = [i for i in ids if i not in received]
    # Only a request that was on its way at the kill may be missing: it is not sent again
    # because it may well have arrived (in practice it did).
    assert all(rows[i] == deliveries.IN_DOUBT for i in missing)
    assert len(missing) <= in_flight
    print(f"in flight at the kill: {in_flight}; lost: {len(missing)}")
