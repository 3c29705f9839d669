"""llm_user_spend: each person's daily model spending, kept by a keyed hash of their Telegram id

Until now a student's share of the day's spending was kept under their ``students.id`` and
went with the row on /delete_my_data, so deleting and starting again gave a fresh budget.
The per-person totals now live in ``llm_user_spend``, keyed by an HMAC of the Telegram id
(never the id itself), and stay until the day is over. The old per-student rows of
``llm_spend`` cannot be re-keyed here (the key is not the database's) and are dropped:
today's per-student totals start again once, on the day of the upgrade. ``llm_spend`` keeps
only the day's total for everyone (scope 0).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "llm_user_spend",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("spent_usd", sa.Numeric(precision=14, scale=8), nullable=False),
        sa.PrimaryKeyConstraint("day", "user_key", name=op.f("pk_llm_user_spend")),
    )
    op.execute("DELETE FROM llm_spend WHERE scope <> 0")


def downgrade() -> None:
    # The per-person totals cannot be turned back into student ids: today's per-student
    # totals start again once after a downgrade.
    op.drop_table("llm_user_spend")
