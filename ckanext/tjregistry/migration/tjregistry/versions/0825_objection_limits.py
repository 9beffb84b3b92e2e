"""Objections: the objector's statement of interest, per-identity limits, one withdrawal
request per objection; pending changes of a verified registrant's identity.

Revision ID: 0825_objection_limits
Revises: 0810_history_checkpoints
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0825_objection_limits"
down_revision = "0810_history_checkpoints"
branch_labels = None
depends_on = None


def upgrade():
    # Art. 20 相关当事人: how the objector is concerned (older objections have none).
    op.add_column("tjregistry_objection", sa.Column("interest", sa.UnicodeText))
    op.add_column("tjregistry_objection", sa.Column("interest_statement", sa.UnicodeText))
    # When the registrant asked to withdraw the application while this objection was pending.
    op.add_column("tjregistry_objection",
                  sa.Column("withdrawal_requested_at", sa.DateTime))
    # The per-identity limits count objections by document.
    op.create_index("tjregistry_objection_identity", "tjregistry_objection",
                    ["id_type", "id_number", "status"])
    op.create_table(
        "tjregistry_identity_change",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("organization_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("status", sa.UnicodeText, nullable=False, index=True),
        sa.Column("previous", JSONB, nullable=False),
        sa.Column("proposed", JSONB, nullable=False),
        sa.Column("requested_by", sa.UnicodeText),
        sa.Column("requested_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("decided_by", sa.UnicodeText),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("reasons", sa.UnicodeText),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'superseded')",
                           name="tjregistry_identity_change_status_check"),
    )
    # One pending change per organization (a newer request replaces the older one).
    op.create_index("tjregistry_identity_change_one_pending", "tjregistry_identity_change",
                    ["organization_id"], unique=True,
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    op.drop_index("tjregistry_identity_change_one_pending",
                  table_name="tjregistry_identity_change")
    op.drop_table("tjregistry_identity_change")
    op.drop_index("tjregistry_objection_identity", table_name="tjregistry_objection")
    op.drop_column("tjregistry_objection", "withdrawal_requested_at")
    op.drop_column("tjregistry_objection", "interest_statement")
    op.drop_column("tjregistry_objection", "interest")
