"""conversations (mails, drafts, known Message-IDs, participants) and renewals (renewals seen, billing events).

Every stored mail and every draft belongs to a conversation from now on. Mail
stored before this revision was decided alone, so each such mail becomes its own
conversation (its id is the mail's id), with the mail's and its sent reply's
Message-IDs and the sender and reply recipient as participants: a customer's
answer to a reply sent by an older version still threads. Nothing is deleted.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billingevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("paid_until", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("billingevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billingevent_received_at"), ["received_at"], unique=False)

    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(), nullable=False),
        sa.Column("proactive", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_last_activity_at"), ["last_activity_at"], unique=False)

    op.create_table(
        "conversationmessageid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("conversationmessageid", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversationmessageid_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "conversationparticipant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "address", "role"),
    )
    with op.batch_alter_table("conversationparticipant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversationparticipant_address"), ["address"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_conversationparticipant_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "renewal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("primary_account_id", sa.Integer(), nullable=False),
        sa.Column("primary_email", sa.String(), nullable=False),
        sa.Column("paid_until", sa.Date(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["draft.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("primary_account_id", "paid_until"),
    )
    with op.batch_alter_table("renewal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renewal_primary_account_id"), ["primary_account_id"], unique=False)

    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proactive", sa.Boolean(), server_default="0", nullable=False))
        batch_op.alter_column("inbound_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_draft_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_foreign_key("fk_draft_conversation_id", "conversation", ["conversation_id"], ["id"])

    with op.batch_alter_table("inboundmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("joined_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("join_note", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("dated_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_inboundmessage_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_foreign_key("fk_inboundmessage_conversation_id", "conversation", ["conversation_id"], ["id"])

    _one_conversation_per_stored_mail()


def _one_conversation_per_stored_mail() -> None:
    """Give every mail stored so far its own conversation, with its Message-IDs and participants."""
    op.execute(
        "INSERT INTO conversation (id, intent, subject, language, started_at, last_activity_at, proactive) "
        "SELECT id, intent, subject, language, received_at, received_at, false FROM inboundmessage"
    )
    op.execute("UPDATE inboundmessage SET conversation_id = id, joined_by = 'new', dated_at = received_at")
    op.execute("UPDATE draft SET conversation_id = inbound_id WHERE inbound_id IN (SELECT id FROM inboundmessage)")
    # The last activity of a conversation with a sent reply is the reply.
    op.execute(
        "UPDATE conversation SET last_activity_at = ("
        " SELECT MAX(o.sent_at) FROM outboxmessage o JOIN draft d ON d.id = o.draft_id"
        " WHERE d.conversation_id = conversation.id AND o.sent_at IS NOT NULL)"
        " WHERE EXISTS (SELECT 1 FROM outboxmessage o JOIN draft d ON d.id = o.draft_id"
        " WHERE d.conversation_id = conversation.id AND o.sent_at IS NOT NULL)"
    )
    # The first mail with a Message-ID keeps it (two stored mails cannot share one: dedup_key).
    op.execute(
        "INSERT INTO conversationmessageid (message_id, conversation_id, kind) "
        "SELECT message_id, MIN(id), 'inbound' FROM inboundmessage WHERE message_id IS NOT NULL GROUP BY message_id"
    )
    op.execute(
        "INSERT INTO conversationmessageid (message_id, conversation_id, kind) "
        "SELECT o.message_id, d.conversation_id, 'reply' FROM outboxmessage o JOIN draft d ON d.id = o.draft_id "
        "WHERE d.conversation_id IS NOT NULL AND o.message_id NOT IN (SELECT message_id FROM conversationmessageid)"
    )
    op.execute(
        "INSERT INTO conversationparticipant (conversation_id, address, role) "
        "SELECT id, lower(sender), 'sender' FROM inboundmessage WHERE sender IS NOT NULL AND sender <> ''"
    )
    op.execute(
        "INSERT INTO conversationparticipant (conversation_id, address, role) "
        "SELECT DISTINCT d.conversation_id, lower(o.\"to\"), 'recipient' FROM outboxmessage o "
        "JOIN draft d ON d.id = o.draft_id WHERE d.conversation_id IS NOT NULL"
    )
    if op.get_bind().dialect.name == "postgresql":  # ids were given explicitly: move the sequence past them
        op.execute(
            "SELECT setval(pg_get_serial_sequence('conversation', 'id'), "
            "COALESCE((SELECT MAX(id) FROM conversation), 0) + 1, false)"
        )


def downgrade() -> None:
    raise NotImplementedError("conversations cannot be folded back into single mails; restore a backup instead")
