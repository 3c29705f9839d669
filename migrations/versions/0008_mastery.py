"""Mastery: what each student knows of each topic, when it comes back for review, and the
placement check in progress

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topic_mastery",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("p_known", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Integer(), nullable=False),
        sa.Column("placed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "p_known >= 0 AND p_known <= 1", name=op.f("ck_topic_mastery_p_known_range")
        ),
        sa.CheckConstraint("stage >= 0", name=op.f("ck_topic_mastery_stage_valid")),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_topic_mastery_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("student_id", "grade", "topic", name=op.f("pk_topic_mastery")),
    )

    op.create_table(
        "placements",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("low", sa.SmallInteger(), nullable=False),
        sa.Column("high", sa.SmallInteger(), nullable=False),
        sa.Column("step", sa.SmallInteger(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("variant_seed", sa.Integer(), nullable=False),
        sa.Column("last_update_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_placements_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_placements_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_placements")),
    )


def downgrade() -> None:
    op.drop_table("placements")
    op.drop_table("topic_mastery")
