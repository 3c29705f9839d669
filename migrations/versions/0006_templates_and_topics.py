"""Problem templates and topics: variants per session and response, new answer types

A problem may be a template (``problems.spec`` holds the validated bank entry for every
problem, ``problems.variant_seeds`` a template's seeds); a session keeps the seed of each of
its problems, and a response the seed it answered. Topics are named in both languages. A
response graded 'form' is the right value in another shape than asked.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPES_OLD = "answer_type IN ('numeric', 'multiple_choice', 'text')"
_TYPES_NEW = "answer_type IN ('numeric', 'multiple_choice', 'text', 'expression', 'ratio', 'time')"
_GRADERS_OLD = "grader IN ('rule', 'model', 'skip')"
_GRADERS_NEW = "grader IN ('rule', 'model', 'skip', 'form')"


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("name_bn", sa.String(length=100), nullable=False),
        sa.CheckConstraint("grade BETWEEN 6 AND 8", name=op.f("ck_topics_grade_range")),
        sa.PrimaryKeyConstraint("grade", "slug", name=op.f("pk_topics")),
    )
    with op.batch_alter_table("problems") as batch:
        batch.add_column(sa.Column("spec", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("variant_seeds", sa.JSON(), nullable=True))
        batch.drop_constraint(op.f("ck_problems_answer_type_known"), type_="check")
        batch.create_check_constraint(op.f("ck_problems_answer_type_known"), _TYPES_NEW)
    with op.batch_alter_table("practice_sessions") as batch:
        batch.add_column(sa.Column("variant_seeds", sa.JSON(), nullable=True))
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("variant_seed", sa.Integer(), nullable=True))
        batch.drop_constraint(op.f("ck_responses_grader_known"), type_="check")
        batch.create_check_constraint(op.f("ck_responses_grader_known"), _GRADERS_NEW)


def downgrade() -> None:
    # Rows the old schema cannot hold go first: form-graded responses and new-type problems
    # (with their responses), as an older Dars could not read them.
    op.execute("DELETE FROM responses WHERE grader = 'form'")
    op.execute(
        "DELETE FROM responses WHERE problem_id IN (SELECT id FROM problems "
        "WHERE answer_type IN ('expression', 'ratio', 'time'))"
    )
    op.execute(
        "DELETE FROM generated_hints WHERE problem_id IN (SELECT id FROM problems "
        "WHERE answer_type IN ('expression', 'ratio', 'time'))"
    )
    op.execute(
        "DELETE FROM cost_records WHERE problem_id IN (SELECT id FROM problems "
        "WHERE answer_type IN ('expression', 'ratio', 'time'))"
    )
    op.execute("DELETE FROM problems WHERE answer_type IN ('expression', 'ratio', 'time')")
    with op.batch_alter_table("responses") as batch:
        batch.drop_constraint(op.f("ck_responses_grader_known"), type_="check")
        batch.create_check_constraint(op.f("ck_responses_grader_known"), _GRADERS_OLD)
        batch.drop_column("variant_seed")
    with op.batch_alter_table("practice_sessions") as batch:
        batch.drop_column("variant_seeds")
    with op.batch_alter_table("problems") as batch:
        batch.drop_constraint(op.f("ck_problems_answer_type_known"), type_="check")
        batch.create_check_constraint(op.f("ck_problems_answer_type_known"), _TYPES_OLD)
        batch.drop_column("variant_seeds")
        batch.drop_column("spec")
    op.drop_table("topics")
