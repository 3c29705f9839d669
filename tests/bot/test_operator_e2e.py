"""Operator commands end to end (allowed, audited; denied to others and in groups), the stats
numbers, and the same tools on the `dars` command line."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.app import build_application, running
from bot.cli import main
from bot.services import stats
from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db.engine import create_engine, create_sessionmaker
from db.models import AuditLog, CostRecord, Delivery, Teacher
from tests.bot.conftest import ChatUser, choose_adult_language
from tests.conftest import TRUNCATE_ALL, FakeClock
from tests.services.test_families import finish_session, link_parent, make_student

OPERATOR = 9901
UNKNOWN = "I don't know that command. Send /help to see what I can do."


@pytest.fixture
async def operator_bot(emu: BotApiEmulator, e2e_deps: Deps) -> AsyncIterator[BotApiEmulator]:
    """The real Application with OPERATOR_IDS set to one operator."""
    settings = e2e_deps.settings.model_copy(
        update={"telegram_api_base_url": emu.base_url, "operator_ids": frozenset({OPERATOR})}
    )
    deps = Deps(db=e2e_deps.db, settings=settings, clock=e2e_deps.clock)
    async with running(build_application(settings, deps=deps), poll_timeout=1):
        yield emu


async def _audit(deps: Deps) -> list[tuple[int, str, dict]]:
    async with deps.db() as s:
        rows = (await s.scalars(select(AuditLog).order_by(AuditLog.id))).all()
    return [(row.actor_telegram_id, row.action, row.detail) for row in rows]


async def _known_activity(deps: Deps) -> None:
    """Three students (one practised today, one yesterday), a parent, reminders and costs."""
    clock: FakeClock = deps.clock  # type: ignore[assignment]
    for tid, name in ((9911, "Rafi"), (9912, "Nila"), (9913, "Arif")):
        await make_student(deps, tid, name)
    await link_parent(deps, 9911, 9921)
    clock.set_local("2026-03-09T12:00")  # Monday
    await finish_session(deps, 9912, right=False)
    clock.set_local("2026-03-10T12:00")  # Tuesday: today
    await finish_session(deps, 9911, right=True)
    now = clock()
    async with deps.db.begin() as s:
        for recipient, status, sent_at in (
            (9911, "sent", now),
            (9912, "sent", now - dt.timedelta(days=1)),
            (9913, "failed", None),
        ):
            s.add(
                Delivery(
                    kind="reminder",
                    recipient_id=recipient,
                    period=str(recipient),
                    status=status,
                    claimed_at=now,
                    sent_at=sent_at,
                )
            )
        for cost, status, at in (
            ("0.00100000", "ok", now),
            ("0.50000000", "budget_exceeded", now),
            ("0.20000000", "ok", now - dt.timedelta(days=1)),
        ):
            s.add(
                CostRecord(
                    operation="hint",
                    model="m",
                    status=status,
                    cost_usd=Decimal(cost),
                    created_at=at,
                )
            )


async def test_stats_counts(e2e_deps: Deps) -> None:
    await _known_activity(e2e_deps)
    numbers = await stats.collect_stats(e2e_deps)
    assert (numbers.students, numbers.parents, numbers.teachers) == (3, 1, 0)
    assert (numbers.active_today, numbers.active_week) == (1, 2)
    assert (numbers.sessions_completed, numbers.sessions_completed_today) == (2, 1)
    assert (numbers.answers, numbers.correct, numbers.accuracy) == (15, 5, 33)
    assert (numbers.reminders_sent, numbers.reminders_sent_today) == (2, 1)
    assert numbers.llm_cost_today == Decimal("0.001")


async def test_operator_commands_are_allowed_audited_and_hidden_from_others(
    operator_bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    bot = operator_bot
    await _known_activity(e2e_deps)
    operator = ChatUser(bot, OPERATOR)
    (numbers,) = await operator.send("/stats")
    assert numbers.splitlines() == [
        "📈 Dars",
        "Students: 3 · parents: 1 · teachers: 0",
        "Active today: 1 · this week: 2",
        "Sessions completed: 2 (today 1)",
        "Accuracy: 33% of 15 answers",
        "Reminders sent: 2 (today 1)",
        "LLM cost today (UTC): $0.0010",
    ]
    (added,) = await operator.send("/addteacher 9955")
    assert added == "✅ 9955 is now a teacher."
    (exists,) = await operator.send("/addteacher 9955")
    assert exists == "9955 is already a teacher."
    (usage,) = await operator.send("/addteacher someone")
    assert usage == "Usage: /addteacher TELEGRAM_ID"
    audit = await _audit(e2e_deps)
    assert [(actor, action) for actor, action, _ in audit] == [
        (OPERATOR, "stats"),
        (OPERATOR, "add_teacher"),
        (OPERATOR, "add_teacher"),
    ]
    assert audit[1][2] == {"teacher_telegram_id": 9955, "created": True, "via": "chat"}

    # Anyone else: the ordinary unknown-command answer, nothing done, nothing audited.
    student = ChatUser(bot, 9911)
    assert await student.send("/stats") == [UNKNOWN]
    assert await student.send("/addteacher 9911") == [UNKNOWN]
    # The operator in a group: silence.
    bot.push_message(OPERATOR, "/stats", chat_id=-100_990_100, chat_type="supergroup")
    bot.push_message(OPERATOR, "/addteacher 9956", chat_id=-100_990_100, chat_type="supergroup")
    await asyncio.sleep(0.5)
    assert bot.sent_texts(-100_990_100) == []
    assert len(await _audit(e2e_deps)) == 3
    async with e2e_deps.db() as s:
        assert await s.scalar(select(func.count()).select_from(Teacher)) == 1
    # The new teacher's /start asks their language, then greets them as a teacher.
    (hello,) = await choose_adult_language(ChatUser(bot, 9955))
    assert hello.startswith("👋 Hello, teacher!")


def test_cli_teachers_add_and_stats(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url)
    try:
        assert main(["teachers", "add", "9957"]) == 0
        assert main(["teachers", "add", "9957"]) == 0
        assert main(["stats"]) == 0
        out = capsys.readouterr().out
        assert "9957 is now a teacher" in out and "9957 already was a teacher" in out
        assert re.search(r"^\s*teachers\s+1\s*$", out, re.M), out

        async def audited() -> list[tuple[int, str]]:
            engine = create_engine(pg_url)
            try:
                async with create_sessionmaker(engine)() as s:
                    rows = (
                        await s.execute(select(AuditLog.actor_telegram_id, AuditLog.action))
                    ).all()
                    return [(actor, action) for actor, action in rows]
            finally:
                await engine.dispose()

        assert asyncio.run(audited()) == [(0, "add_teacher"), (0, "add_teacher")]
    finally:

        async def truncate() -> None:
            engine = create_engine(pg_url)
            async with engine.begin() as conn:
                await conn.execute(TRUNCATE_ALL)
            await engine.dispose()

        asyncio.run(truncate())


async def test_cost_command_for_operators_only(
    operator_bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    await _known_activity(e2e_deps)  # $0.001 today, $0.20 yesterday, a refused call
    (report,) = await ChatUser(operator_bot, OPERATOR).send("/cost")
    assert report.splitlines() == [
        "💵 Language model spending (UTC)",
        "Today: $0.0010",
        "Last 7 days: $0.2010",
        "This month: $0.2010",
        "Daily budget: $5.00",
    ]
    assert [action for _, action, _ in await _audit(e2e_deps)] == ["cost"]
    assert await ChatUser(operator_bot, 9911).send("/cost") == [UNKNOWN]


async def seed_costs(url: str) -> None:
    """Two model calls' costs: 1 and 2 March 2026, USD 0.01 and 0.025."""
    engine = create_engine(url)
    async with create_sessionmaker(engine).begin() as s:
        for day, cost in ((1, "0.01000000"), (2, "0.02500000")):
            s.add(
                CostRecord(
                    operation="hint_generation",
                    model="gpt-4o-mini",
                    status="ok",
                    prompt_tokens=100,
                    completion_tokens=10,
                    tokens_used=110,
                    cost_usd=Decimal(cost),
                    created_at=dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC),
                )
            )
    await engine.dispose()


def test_cli_cost_report(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def truncate() -> None:
        engine = create_engine(pg_url)
        async with engine.begin() as conn:
            await conn.execute(TRUNCATE_ALL)
        await engine.dispose()

    monkeypatch.setenv("DATABASE_URL", pg_url)
    asyncio.run(seed_costs(pg_url))
    try:
        assert main(["cost", "report", "--since", "2026-03-01", "--until", "2026-03-03"]) == 0
        out = capsys.readouterr().out
        assert "2026-03-01" in out and "2026-03-02" in out
        (total,) = [line for line in out.splitlines() if line.strip().startswith("total")]
        assert "$0.0350" in total
        assert main(["cost", "report", "--since", "2026-03-02", "--by", "model"]) == 0
        out = capsys.readouterr().out
        assert "gpt-4o-mini" in out and "$0.0250" in out
    finally:
        asyncio.run(truncate())


async def _teacher_with_class(deps: Deps, teacher: int, student: int) -> None:
    """A teacher with one class "7B" that one student joined."""
    from bot.services import classes

    await classes.add_teacher(deps, telegram_id=teacher, actor_telegram_id=1, via="test")
    link = await classes.create_class(deps, telegram_id=teacher, name="7B")
    await make_student(deps, student, "Rafi")
    joined = await classes.open_class_link(
        deps, telegram_id=student, token=link.payload[2:], language_code=None, join=True
    )
    assert joined.kind == "joined"


async def _teacher_ids(deps: Deps) -> list[int]:
    async with deps.db() as s:
        return list((await s.scalars(select(Teacher.telegram_id).order_by(Teacher.id))).all())


async def test_teachers_command_lists_and_removes_with_confirmation(
    operator_bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    bot = operator_bot
    await _teacher_with_class(e2e_deps, 9960, 9961)
    from bot.services import classes

    await classes.add_teacher(e2e_deps, telegram_id=9962, actor_telegram_id=1, via="test")
    operator = ChatUser(bot, OPERATOR)
    (listing,) = await operator.send("/teachers")
    assert listing.splitlines() == [
        "👩‍🏫 Teachers: 2",
        "9960 · classes: 1 · students: 1",
        "9962 · classes: 0 · students: 0",
        "",
        "To remove a teacher, tap their id below or send /teachers remove TELEGRAM_ID.",
    ]
    assert operator.buttons() == [("🗑 9960", "tcrm:9960"), ("🗑 9962", "tcrm:9962")]
    # A tap asks first, saying what goes with the teacher and what stays.
    (ask,) = await operator.tap("9960")
    assert ask.startswith(
        "Remove teacher 9960? Classes deleted with them: 1 (students in them: 1)"
    )
    (cancelled,) = await operator.tap("Cancel")
    assert cancelled == "OK, nothing was changed."
    assert await _teacher_ids(e2e_deps) == [9960, 9962]
    (ask,) = await operator.send("/teachers remove 9960")
    assert ask.startswith("Remove teacher 9960?")
    (done,) = await operator.tap("Yes, remove")
    assert done == "✅ 9960 is no longer a teacher."
    assert await _teacher_ids(e2e_deps) == [9962]
    # The student stays, out of the class that is gone.
    async with e2e_deps.db() as s:
        from db.models import ClassMember, SchoolClass, Student

        assert await s.scalar(select(func.count()).select_from(SchoolClass)) == 0
        assert await s.scalar(select(func.count()).select_from(ClassMember)) == 0
        assert await s.scalar(select(func.count()).select_from(Student)) == 1
    (unknown,) = await operator.send("/teachers remove 12345")
    assert unknown == "12345 is not a teacher."
    (usage,) = await operator.send("/teachers delete everyone")
    assert usage == "Usage: /teachers, or /teachers remove TELEGRAM_ID"
    audit = [(action, detail) for _, action, detail in await _audit(e2e_deps)]
    assert ("teachers", {}) in audit
    assert (
        "remove_teacher",
        {
            "teacher_telegram_id": 9960,
            "result": "removed",
            "classes": 1,
            "force": True,
            "via": "chat",
        },
    ) in audit

    # In Bengali.
    bengali = ChatUser(bot, OPERATOR, language_code="bn")
    (listing,) = await bengali.send("/teachers")
    assert listing.splitlines()[:2] == ["👩‍🏫 শিক্ষক: ১ জন", "9962 · ক্লাস: ০টি · শিক্ষার্থী: ০ জন"]
    (ask,) = await bengali.tap("9962")
    assert ask.startswith("শিক্ষক 9962-কে সরাবেন?")
    (done,) = await bengali.tap("হ্যাঁ, সরান")
    assert done == "✅ 9962 এখন আর শিক্ষক নন।"
    (none,) = await bengali.send("/teachers")
    assert none == "এখনো কোনো শিক্ষক নেই। /addteacher TELEGRAM_ID দিয়ে যোগ করুন।"

    # Not an operator: the ordinary unknown answers, and a forged confirm tap does nothing.
    await classes.add_teacher(e2e_deps, telegram_id=9963, actor_telegram_id=1, via="test")
    student = ChatUser(bot, 9961)
    assert await student.send("/teachers") == [UNKNOWN]
    await student.tap_data("tcok:9963", message_id=1, expect=1)
    assert await _teacher_ids(e2e_deps) == [9963]
