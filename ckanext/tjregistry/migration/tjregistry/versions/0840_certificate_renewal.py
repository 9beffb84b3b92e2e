"""Certificate renewal: the registrant's renewal requests and the reminders sent.

Revision ID: 0840_certificate_renewal
Revises: 0825_objection_limits
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0840_certificate_renewal"
down_revision = "0825_objection_limits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tjregistry_renewal_request",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("code", sa.UnicodeText, nullable=False, index=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("registrant_id", sa.UnicodeText, nullable=False),
        sa.Column("institution_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("certificate_version", sa.Integer, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("note", sa.UnicodeText),
        sa.Column("requested_by", sa.UnicodeText),
        sa.Column("requested_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("decided_by", sa.UnicodeText),
        sa.Column("decided_institution_id", sa.UnicodeText),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("reasons", sa.UnicodeText),
        sa.Column("renewed_version", sa.Integer),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name="tjregistry_renewal_request_status_check"),
    )
    # One pending request per registration code.
    op.create_index("tjregistry_renewal_request_one_pending", "tjregistry_renewal_request",
                    ["code"], unique=True, postgresql_where=sa.text("status = 'pending'"))
    op.create_table(
        "tjregistry_renewal_reminder",
        sa.Column("code", sa.UnicodeText, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("days", sa.Integer, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_table("tjregistry_renewal_reminder")
    op.drop_index("tjregistry_renewal_request_one_pending",
                  table_name="tjregistry_renewal_request")
    op.drop_table("tjregistry_renewal_request")
