"""mailboxstate: what `mailbot run` is doing for each folder (idling, polling, reconnecting) and since when.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mailboxstate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intake", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("intake_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailboxstate", schema=None) as batch_op:
        batch_op.drop_column("intake_since")
        batch_op.drop_column("intake")
