"""teachers.language_chosen: a teacher's own choice of language outlives their phone's

Until now a teacher's language followed their Telegram client on every command, so a
teacher with an English phone could not read Dars in Bengali. Existing teachers keep
following their client until they choose in /settings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teachers") as batch:
        batch.add_column(
            sa.Column("language_chosen", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("teachers") as batch:
        batch.drop_column("language_chosen")
