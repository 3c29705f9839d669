"""Cost reports and spend summaries on both engines, from cost records written by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.config import DEFAULT_MODEL_PRICES
from bot.services.costs import CostRow, cost_report, format_report, spend_summary, usage_cost
from db.engine import create_engine, create_sessionmaker
from db.models import CostRecord, PracticeSession, Problem, Response, Student

UTC = dt.UTC
MINI = DEFAULT_MODEL_PRICES["gpt-4o-mini"]
SINCE = dt.datetime(2026, 3, 9, tzinfo=UTC)
UNTIL = dt.datetime(2026, 3, 11, tzinfo=UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- pricing ---------------------------------------------------------------------------


def test_usage_cost_to_the_cent():
    # 600k uncached * 0.15 + 400k cached * 0.075 + 500k out * 0.60, per 1M tokens.
    cost = usage_cost(
        MINI, prompt_tokens=1_000_000, cached_tokens=400_000, completion_tokens=500_000
    )
    assert cost == Decimal("0.42")


def test_usage_cost_small_and_odd_numbers():
    assert usage_cost(MINI, prompt_tokens=1, cached_tokens=0, completion_tokens=0) == Decimal(
        "0.00000015"
    )
    # 0.075 per 1M is 7.5e-8 for one cached token: rounded half up at the column's scale.
    assert usage_cost(MINI, prompt_tokens=1, cached_tokens=1, completion_tokens=0) == Decimal(
        "0.00000008"
    )
    # A server claiming more cached than prompt tokens cannot make the cost negative.
    assert usage_cost(MINI, prompt_tokens=10, cached_tokens=50, completion_tokens=0) == Decimal(
        "0.00000075"
    )


# --- a small, hand-checked history -----------------------------------------------------


async def _student(s, n: int) -> int:
    student = Student(
        telegram_id=555_000_000 + n,
        name=f"Nusrat{n}",
        grade=6,
        language="en",
        timezone="Asia/Dhaka",
        reachable=True,
    )
    s.add(student)
    await s.flush()
    return student.id


def _cost(when: str, op: str, model: str, student: int | None, status: str, cost: str,
          prompt: int = 0, cached: int = 0, completion: int = 0) -> CostRecord:  # fmt: skip
    return CostRecord(
        operation=op,
        model=model,
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=completion,
        tokens_used=prompt + completion,
        cost_usd=Decimal(cost),
        latency_ms=100,
        status=status,
        student_id=student,
        created_at=at(when),
    )


@pytest.fixture
async def history(deps, loaded_bank):
    """Two students, eight cost records and five responses around 2026-03-09/10 (UTC)."""
    async with deps.db.begin() as s:
        s1 = await _student(s, 1)
        s2 = await _student(s, 2)
        problem_id = await s.scalar(select(Problem.id).limit(1))
        hint, grade = "hint_generation", "answer_evaluation"
        mini, big = "gpt-4o-mini", "gpt-4.1-mini"
        s.add_all(
            [
                _cost("2026-03-10T01:00", hint, mini, s1, "ok", "0.0100", 1000, 200, 100),
                _cost("2026-03-10T02:00", grade, mini, s1, "ok", "0.0023", 300, 0, 10),
                _cost("2026-03-10T03:00", grade, big, s2, "timeout", "0.0005"),
                _cost("2026-03-10T04:00", hint, big, None, "error", "0"),
                _cost("2026-03-10T05:00", grade, mini, s2, "budget_exceeded", "0"),
                # 23:30 UTC is already 05:30 on the 10th in Dhaka: reports use UTC days.
                _cost("2026-03-09T23:30", hint, mini, s2, "ok", "0.0040", 500, 100, 50),
                # Outside the window: before it, and exactly at its (exclusive) end.
                _cost("2026-03-08T12:00", hint, mini, s1, "ok", "1.0"),
                _cost("2026-03-11T00:00", hint, mini, s1, "ok", "1.0"),
                # For the month summary only.
                _cost("2026-03-02T08:00", hint, mini, s1, "ok", "0.5"),
                _cost("2026-02-28T08:00", hint, mini, s1, "ok", "0.25"),
            ]
        )
        sessions = {}
        for key, (student, when, correct) in enumerate(
            [
                (s1, "2026-03-10T02:00", True),
                (s1, "2026-03-10T02:05", True),
                (s1, "2026-03-10T02:10", False),
                (s2, "2026-03-09T23:50", True),
                (s1, "2026-03-08T09:00", True),  # outside the window
            ]
        ):
            day = at(when).date()
            if (student, day) not in sessions:
                practice = PracticeSession(
                    student_id=student,
                    local_date=day,
                    status="in_progress",
                    problem_ids=[problem_id],
                    position=0,
                    wrong_on_current=0,
                    hints_on_current=0,
                    correct_count=0,
                    hints_total=0,
                    started_at=at(when),
                )
                s.add(practice)
                await s.flush()
                sessions[student, day] = practice.id
            s.add(
                Response(
                    session_id=sessions[student, day],
                    student_id=student,
                    problem_id=problem_id,
                    student_answer="x",
                    is_correct=correct,
                    hints_used=0,
                    grader="rule",
                    idempotency_key=900_000 + key,
                    created_at=at(when),
                )
            )
    return {"s1": s1, "s2": s2}


def _rows(report) -> dict[str, CostRow]:
    return {row.key: row for row in report.rows}


async def test_report_by_operation(deps, history):
    report = await cost_report(deps.db, since=SINCE, until=UNTIL, by="operation")

    assert [row.key for row in report.rows] == ["hint_generation", "answer_evaluation"]
    rows = _rows(report)
    assert rows["hint_generation"] == CostRow(
        key="hint_generation",
        calls=3,
        prompt_tokens=1500,
        cached_tokens=300,
        completion_tokens=150,
        cost_usd=Decimal("0.0140"),
        failed=1,
        refused=0,
    )
    assert rows["answer_evaluation"] == CostRow(
        key="answer_evaluation",
        calls=2,
        prompt_tokens=300,
        cached_tokens=0,
        completion_tokens=10,
        cost_usd=Decimal("0.0028"),
        failed=1,
        refused=1,
    )
    assert report.total == CostRow(
        key="total",
        calls=5,
        prompt_tokens=1800,
        cached_tokens=300,
        completion_tokens=160,
        cost_usd=Decimal("0.0168"),
        failed=2,
        refused=1,
    )
    assert report.active_students == 2
    assert report.solved_problems == 3
    assert report.cost_per_active_student == Decimal("0.0084")
    assert report.cost_per_solved_problem == Decimal("0.0056")


async def test_report_by_model(deps, history):
    report = await cost_report(deps.db, since=SINCE, until=UNTIL, by="model")
    rows = _rows(report)
    assert set(rows) == {"gpt-4o-mini", "gpt-4.1-mini"}
    assert (rows["gpt-4o-mini"].calls, rows["gpt-4o-mini"].refused) == (3, 1)
    assert rows["gpt-4o-mini"].cost_usd == Decimal("0.0163")
    assert (rows["gpt-4.1-mini"].calls, rows["gpt-4.1-mini"].failed) == (2, 2)
    assert rows["gpt-4.1-mini"].cost_usd == Decimal("0.0005")
    assert report.total.cost_usd == Decimal("0.0168")


async def test_report_by_student_shows_no_personal_data(deps, history):
    report = await cost_report(deps.db, since=SINCE, until=UNTIL, by="student")
    s1, s2 = history["s1"], history["s2"]
    rows = _rows(report)
    assert set(rows) == {f"student #{s1}", f"student #{s2}", "no student"}
    assert rows[f"student #{s1}"].cost_usd == Decimal("0.0123")
    assert (rows[f"student #{s2}"].cost_usd, rows[f"student #{s2}"].refused) == (
        Decimal("0.0045"),
        1,
    )
    assert rows["no student"].cost_usd == 0
    text = format_report(report)
    assert "Nusrat" not in text and "555000001" not in text and "555,000,001" not in text


async def test_report_by_utc_day(deps, history):
    report = await cost_report(deps.db, since=SINCE, until=UNTIL, by="day")
    assert [(row.key, row.cost_usd) for row in report.rows] == [
        ("2026-03-09", Decimal("0.0040")),
        ("2026-03-10", Decimal("0.0128")),
    ]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no session tz
async def test_report_by_day_ignores_the_connection_time_zone(deps, db_url, history):
    engine = create_engine(db_url, connect_args={"server_settings": {"timezone": "Asia/Dhaka"}})
    try:
        report = await cost_report(create_sessionmaker(engine), since=SINCE, until=UNTIL, by="day")
    finally:
        await engine.dispose()
    assert [row.key for row in report.rows] == ["2026-03-09", "2026-03-10"]


async def test_empty_report(deps, history):
    report = await cost_report(
        deps.db, since=at("2025-01-01T00:00"), until=at("2025-02-01T00:00"), by="operation"
    )
    assert report.rows == []
    assert report.total.cost_usd == 0 and report.total.calls == 0
    assert report.cost_per_active_student is None and report.cost_per_solved_problem is None
    text = format_report(report)
    assert "(no model calls in this period)" in text
    assert "cost per active student: n/a" in text


async def test_format_report(deps, history):
    report = await cost_report(deps.db, since=SINCE, until=UNTIL, by="operation")
    lines = format_report(report).splitlines()
    assert lines[0] == "Model costs by operation, 2026-03-09 00:00 to 2026-03-11 00:00 UTC"
    assert lines[1].split() == [
        "operation", "calls", "failed", "refused", "prompt", "cached", "completion", "cost"
    ]  # fmt: skip
    assert lines[2].split() == ["hint_generation", "3", "1", "0", "1,500", "300", "150", "$0.0140"]
    assert lines[3].split() == ["answer_evaluation", "2", "1", "1", "300", "0", "10", "$0.0028"]
    assert set(lines[4]) == {"-"}
    assert lines[5].split() == ["total", "5", "2", "1", "1,800", "300", "160", "$0.0168"]
    assert lines[6] == "Active students: 2; cost per active student: $0.0084"
    assert lines[7] == "Solved problems: 3; cost per solved problem: $0.0056"
    # Columns line up: every row is as wide as the header.
    assert len({len(line) for line in lines[1:6]}) == 1


async def test_spend_summary(deps, history):
    summary = await spend_summary(deps.db, now=at("2026-03-10T06:00"))
    assert summary == {
        "today": Decimal("0.0128"),
        # 03-04 .. 03-10: today's, the 9th's and the 8th's (1.0).
        "week": Decimal("1.0168"),
        # 03-01 .. : the above plus the 2nd's 0.5; not the 11th (future), not February.
        "month": Decimal("1.5168"),
    }


async def test_spend_summary_early_in_the_month(deps, history):
    summary = await spend_summary(deps.db, now=at("2026-03-02T12:00"))
    # The week reaches back into February; the month does not.
    assert summary == {
        "today": Decimal("0.5"),
        "week": Decimal("0.75"),
        "month": Decimal("0.5"),
    }
