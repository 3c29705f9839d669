"""Extra practice: a student may practise more sets after the day's session

``practice_sessions.extra`` is 0 for the day's session (the one that counts for the streak)
and 1, 2, … for the extra sets of the same local day.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("extra", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("uq_practice_sessions_student_day", type_="unique")
        batch_op.create_unique_constraint(
            "uq_practice_sessions_student_day", ["student_id", "local_date", "extra"]
        )


def downgrade() -> None:
    # Extra sets would break the one-session-a-day rule: they go (their Responses with them).
    op.execute("DELETE FROM practice_sessions WHERE extra > 0")
    with op.batch_alter_table("practice_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_practice_sessions_student_day", type_="unique")
        batch_op.create_unique_constraint(
            "uq_practice_sessions_student_day", ["student_id", "local_date"]
        )
        batch_op.drop_column("extra")
