"""Objections (异议) during publicity and their evidence files.

Revision ID: 0400_objections
Revises: 0300_operations
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0400_objections"
down_revision = "0300_operations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tjregistry_objection",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("number", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("application_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("registrant_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("institution_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("status", sa.UnicodeText, nullable=False, index=True),
        sa.Column("category", sa.UnicodeText, nullable=False),
        sa.Column("statement", sa.UnicodeText, nullable=False),
        sa.Column("objector_name", sa.UnicodeText, nullable=False),
        sa.Column("id_type", sa.UnicodeText, nullable=False),
        sa.Column("id_number", sa.UnicodeText, nullable=False),
        sa.Column("contact_phone", sa.UnicodeText, nullable=False),
        sa.Column("contact_email", sa.UnicodeText),
        sa.Column("token_hash", sa.UnicodeText, nullable=False),
        sa.Column("client_hash", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("decide_due", sa.Date),
        sa.Column("response", sa.UnicodeText),
        sa.Column("responded_at", sa.DateTime),
        sa.Column("responded_by", sa.UnicodeText),
        sa.Column("finding", sa.UnicodeText),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decided_by", sa.UnicodeText),
        sa.Column("closed_reason", sa.UnicodeText),
        sa.CheckConstraint("status IN ('pending', 'upheld', 'not_upheld', 'closed')",
                           name="tjregistry_objection_status_check"),
        # A decided objection always carries its written finding.
        sa.CheckConstraint("status NOT IN ('upheld', 'not_upheld') OR "
                           "(finding IS NOT NULL AND decided_at IS NOT NULL)",
                           name="tjregistry_objection_finding_check"),
    )
    # One pending objection per person and application.
    op.create_index(
        "tjregistry_objection_one_pending", "tjregistry_objection",
        ["application_id", "id_type", "id_number"], unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "tjregistry_objection_file",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("objection_id", sa.UnicodeText,
                  sa.ForeignKey("tjregistry_objection.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("stored_name", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("original_name", sa.UnicodeText, nullable=False),
        sa.Column("mime_type", sa.UnicodeText, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "tjregistry_objection_sequence",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("tjregistry_objection_sequence")
    op.drop_table("tjregistry_objection_file")
    op.drop_index("tjregistry_objection_one_pending", table_name="tjregistry_objection")
    op.drop_table("tjregistry_objection")
