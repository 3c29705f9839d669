"""cost reservations: a 'reserved' status for language-model calls in flight

A call reserves its worst-case cost as a cost_records row before it is made, so that the
daily budgets also count calls that have not finished yet; the row is then settled with the
real figures.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ck_cost_records_status_known"
_OLD = "status IN ('ok', 'error', 'timeout', 'budget_exceeded')"
_NEW = "status IN ('ok', 'error', 'timeout', 'budget_exceeded', 'reserved')"


def upgrade() -> None:
    # Batch mode: SQLite cannot alter a CHECK constraint in place, so the table is copied.
    with op.batch_alter_table("cost_records", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_NAME), type_="check")
        batch_op.create_check_constraint(op.f(_NAME), sa.text(_NEW))


def downgrade() -> None:
    # A reservation left behind by a crashed call has unknown cost; the old schema calls that
    # an error.
    op.execute("UPDATE cost_records SET status = 'error' WHERE status = 'reserved'")
    with op.batch_alter_table("cost_records", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_NAME), type_="check")
        batch_op.create_check_constraint(op.f(_NAME), sa.text(_OLD))
