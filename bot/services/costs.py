"""What the language model costs: per-call pricing, and reports for the operator.

Every model call (and every call a budget refused) is a row in ``cost_records``; these
functions only read them. Reports never show names or Telegram ids, only internal student
ids. Dates are UTC days, the same days the budgets use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import ModelPrice
from db import queries
from db.queries.spend import GroupBy

# cost_usd is Numeric(12, 8): amounts are kept to a millionth of a cent.
MONEY_PLACES = Decimal("0.00000001")
_SHOWN_PLACES = Decimal("0.0001")
_PER_MILLION = Decimal(1_000_000)


def usage_cost(
    price: ModelPrice,
    *,
    prompt_tokens: int,
    cached_tokens: int,
    completion_tokens: int,
    rounding: str = ROUND_HALF_UP,
) -> Decimal:
    """What one model call cost in US dollars, from its token usage and the model's prices."""
    # prompt_tokens includes the cached ones, which are billed at the cheaper rate.
    cached = min(max(cached_tokens, 0), max(prompt_tokens, 0))
    uncached = max(prompt_tokens, 0) - cached
    raw = (
        uncached * price.input
        + cached * price.cached_input
        + max(completion_tokens, 0) * price.output
    ) / _PER_MILLION
    return raw.quantize(MONEY_PLACES, rounding=rounding)


@dataclass(frozen=True)
class CostRow:
    """One line of a cost report. ``calls`` are calls made (refused ones are in ``refused``)."""

    key: str
    calls: int
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    # Calls that ended in an error or a timeout (included in ``calls``).
    failed: int = 0
    # Calls a budget refused (not included in ``calls``; they cost nothing).
    refused: int = 0


@dataclass(frozen=True)
class CostReport:
    """Model spending in a time window, grouped one way, with cost per active student."""

    rows: list[CostRow]
    total: CostRow
    active_students: int
    solved_problems: int
    cost_per_active_student: Decimal | None
    cost_per_solved_problem: Decimal | None
    by: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def as_money(value: Any) -> Decimal:
    """A summed amount from either engine as a Decimal at the cost column's scale."""
    # PostgreSQL sums Numeric exactly; SQLite stores it as REAL and sums floats, so round
    # back to the column's scale (which also makes equal amounts compare equal).
    if value is None:
        return Decimal(0).quantize(MONEY_PLACES)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def _key_text(by: GroupBy, value: Any) -> str:
    if by == "student":
        # Internal ids only: a report must never show a name or a Telegram id.
        return "no student" if value is None else f"student #{value}"
    if by == "day":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return str(value)


async def cost_report(
    db: async_sessionmaker[AsyncSession],
    *,
    since: dt.datetime,
    until: dt.datetime,
    by: GroupBy,
) -> CostReport:
    """The operator's view of model spending from ``since`` (inclusive) to ``until``."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("cost_report needs timezone-aware datetimes")
    async with db() as s:
        rows = await queries.spend.cost_rows(s, since=since, until=until, by=by)
        active, solved = await queries.stats.answer_activity(s, since=since, until=until)
    report_rows = [
        CostRow(
            key=_key_text(by, r[0]),
            calls=int(r[1] or 0),
            failed=int(r[2] or 0),
            refused=int(r[3] or 0),
            prompt_tokens=int(r[4] or 0),
            cached_tokens=int(r[5] or 0),
            completion_tokens=int(r[6] or 0),
            cost_usd=as_money(r[7]),
        )
        for r in rows
    ]
    if by == "day":
        report_rows.sort(key=lambda row: row.key)
    else:
        report_rows.sort(key=lambda row: (-row.cost_usd, row.key))
    total = CostRow(
        key="total",
        calls=sum(r.calls for r in report_rows),
        failed=sum(r.failed for r in report_rows),
        refused=sum(r.refused for r in report_rows),
        prompt_tokens=sum(r.prompt_tokens for r in report_rows),
        cached_tokens=sum(r.cached_tokens for r in report_rows),
        completion_tokens=sum(r.completion_tokens for r in report_rows),
        cost_usd=as_money(sum((r.cost_usd for r in report_rows), Decimal(0))),
    )
    active_students = int(active or 0)
    solved_problems = int(solved or 0)
    return CostReport(
        rows=report_rows,
        total=total,
        active_students=active_students,
        solved_problems=solved_problems,
        cost_per_active_student=_per(total.cost_usd, active_students),
        cost_per_solved_problem=_per(total.cost_usd, solved_problems),
        by=by,
        since=since,
        until=until,
    )


def _per(cost: Decimal, count: int) -> Decimal | None:
    return (cost / count).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP) if count else None


def _usd(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return f"${value.quantize(_SHOWN_PLACES, rounding=ROUND_HALF_UP)}"


_COLUMNS = ("calls", "failed", "refused", "prompt", "cached", "completion", "cost")


def format_report(report: CostReport) -> str:
    """The cost report as a plain-text table for the operator's terminal or chat."""
    header_key = report.by or "key"
    lines: list[str] = []
    if report.since is not None and report.until is not None:
        lines.append(
            f"Model costs by {header_key}, {report.since:%Y-%m-%d %H:%M} to "
            f"{report.until:%Y-%m-%d %H:%M} UTC"
        )

    def cells(row: CostRow) -> list[str]:
        return [
            f"{row.calls:,}",
            f"{row.failed:,}",
            f"{row.refused:,}",
            f"{row.prompt_tokens:,}",
            f"{row.cached_tokens:,}",
            f"{row.completion_tokens:,}",
            _usd(row.cost_usd),
        ]

    body = [(r.key, cells(r)) for r in report.rows]
    total = (report.total.key, cells(report.total))
    key_width = max(len(header_key), *(len(k) for k, _ in [*body, total]))
    widths = [
        max(len(name), *(len(c[i]) for _, c in [*body, total])) for i, name in enumerate(_COLUMNS)
    ]

    def line(key: str, values: list[str] | tuple[str, ...]) -> str:
        padded = "  ".join(v.rjust(w) for v, w in zip(values, widths, strict=True))
        return f"{key.ljust(key_width)}  {padded}"

    header = line(header_key, _COLUMNS)
    lines.append(header)
    lines.extend(line(k, c) for k, c in body)
    if not body:
        lines.append("(no model calls in this period)")
    lines.append("-" * len(header))
    lines.append(line(*total))
    lines.append(
        f"Active students: {report.active_students:,}; "
        f"cost per active student: {_usd(report.cost_per_active_student)}"
    )
    lines.append(
        f"Solved problems: {report.solved_problems:,}; "
        f"cost per solved problem: {_usd(report.cost_per_solved_problem)}"
    )
    return "\n".join(lines)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


async def spend_summary(
    db: async_sessionmaker[AsyncSession], *, now: dt.datetime
) -> dict[str, Decimal]:
    """Model spending today, over the last 7 days and this calendar month (UTC), for /cost."""
    today = now.astimezone(dt.UTC).date()
    tomorrow = _midnight(today + dt.timedelta(days=1))
    day_start = _midnight(today)
    week_start = _midnight(today - dt.timedelta(days=6))
    month_start = _midnight(today.replace(day=1))
    async with db() as s:
        row = await queries.spend.spend_totals(
            s, starts=(day_start, week_start, month_start), until=tomorrow
        )
    return {"today": as_money(row[0]), "week": as_money(row[1]), "month": as_money(row[2])}
