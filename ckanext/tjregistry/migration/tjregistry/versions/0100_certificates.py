"""Registration certificates and their code sequences.

Revision ID: 0100_certificates
Revises: 0001_application_and_event
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0100_certificates"
down_revision = "0001_application_and_event"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tjregistry_certificate",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("code", sa.UnicodeText, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("application_id", sa.UnicodeText, nullable=True),
        sa.Column("registrant_id", sa.UnicodeText, nullable=True),
        sa.Column("institution_id", sa.UnicodeText, nullable=False),
        sa.Column("object_type", sa.UnicodeText, nullable=False),
        sa.Column("registration_type", sa.UnicodeText, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False, index=True),
        sa.Column("status_reason", sa.UnicodeText, nullable=True),
        sa.Column("status_changed_at", sa.DateTime, nullable=True),
        sa.Column("status_changed_by", sa.UnicodeText, nullable=True),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False, index=True),
        sa.Column("term_end", sa.Date, nullable=False),
        sa.Column("national_code", sa.UnicodeText, nullable=True, index=True),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("canonical", sa.UnicodeText, nullable=False),
        sa.Column("created_by", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("code", "version", name="tjregistry_certificate_code_version_key"),
        sa.CheckConstraint(
            "status IN ('valid', 'expired', 'revoked', 'cancelled', 'superseded')",
            name="tjregistry_certificate_status_check",
        ),
    )
    # One current version per code, one valid certificate per dataset.
    op.create_index(
        "tjregistry_certificate_current_code",
        "tjregistry_certificate",
        ["code"],
        unique=True,
        postgresql_where=sa.text("status <> 'superseded'"),
    )
    op.create_index(
        "tjregistry_certificate_valid_package",
        "tjregistry_certificate",
        ["package_id"],
        unique=True,
        postgresql_where=sa.text("status = 'valid'"),
    )
    op.create_table(
        "tjregistry_certificate_sequence",
        sa.Column("scope", sa.UnicodeText, primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("tjregistry_certificate_sequence")
    op.drop_index("tjregistry_certificate_valid_package", table_name="tjregistry_certificate")
    op.drop_index("tjregistry_certificate_current_code", table_name="tjregistry_certificate")
    op.drop_table("tjregistry_certificate")
