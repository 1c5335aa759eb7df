"""accountaction: account changes as durable jobs (key, status, attempts, the vendor's words), and their log.

Against the account API each change an approval asks for is a job that outlives
crashes; with the database source the row is written confirmed in the approval's
transaction. ``mailbot accounts changes`` lists the confirmed rows. A new table:
no existing row is touched.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accountaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("action", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("failing_since", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("vendor_message", sa.String(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_accountaction_confirmed_at", "accountaction", ["confirmed_at"])
    op.create_index("ix_accountaction_draft_id", "accountaction", ["draft_id"])
    op.create_index("ix_accountaction_status", "accountaction", ["status"])


def downgrade() -> None:
    op.drop_index("ix_accountaction_status", table_name="accountaction")
    op.drop_index("ix_accountaction_draft_id", table_name="accountaction")
    op.drop_index("ix_accountaction_confirmed_at", table_name="accountaction")
    op.drop_table("accountaction")
