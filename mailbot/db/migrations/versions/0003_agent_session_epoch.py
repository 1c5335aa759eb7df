"""agent.session_epoch: raised to end every console session of an agent (logout, new password).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # server_default: existing agents start at epoch 0; their old cookies carry no stamp
    # and end anyway, so everyone logs in once after the upgrade.
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
