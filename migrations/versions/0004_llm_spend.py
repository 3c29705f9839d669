"""llm_spend: running daily totals of language-model spending, for lock-free budget checks

Until now every call summed the day's cost_records under one advisory lock held across
several round trips; with a hundred calls in flight the reservations queued on that lock and
held database connections the graded answers needed. The totals are filled from the
existing cost_records.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 19:50:00
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    spend = op.create_table(
        "llm_spend",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.BigInteger(), nullable=False),
        sa.Column("spent_usd", sa.Numeric(precision=14, scale=8), nullable=False),
        sa.CheckConstraint("scope >= 0", name=op.f("ck_llm_spend_scope_not_negative")),
        sa.PrimaryKeyConstraint("day", "scope", name=op.f("pk_llm_spend")),
    )
    records = sa.table(
        "cost_records",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("student_id", sa.Integer()),
        sa.column("cost_usd", sa.Numeric(12, 8)),
    )
    totals: defaultdict[tuple[dt.date, int], Decimal] = defaultdict(Decimal)
    rows = op.get_bind().execute(
        sa.select(records.c.created_at, records.c.student_id, records.c.cost_usd).where(
            records.c.cost_usd > 0
        )
    )
    for created_at, student_id, cost in rows:
        when = created_at if created_at.tzinfo else created_at.replace(tzinfo=dt.UTC)
        day = when.astimezone(dt.UTC).date()
        totals[(day, 0)] += Decimal(cost)
        if student_id is not None:
            totals[(day, student_id)] += Decimal(cost)
    if totals:
        op.bulk_insert(
            spend,
            [{"day": d, "scope": s, "spent_usd": v} for (d, s), v in sorted(totals.items())],
        )


def downgrade() -> None:
    op.drop_table("llm_spend")
