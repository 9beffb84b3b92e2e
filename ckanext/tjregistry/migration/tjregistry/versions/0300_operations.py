"""Evidence records (存证), agency delegations, and the imported government data catalogue.

Revision ID: 0300_operations
Revises: 0100_certificates
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0300_operations"
down_revision = "0100_certificates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tjregistry_evidence",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("number", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("registrant_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("made_by_org", sa.UnicodeText, nullable=False),
        sa.Column("agency_id", sa.UnicodeText),
        sa.Column("delegation_id", sa.UnicodeText),
        sa.Column("created_by", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("manifest", JSONB, nullable=False),
        sa.Column("manifest_sha256", sa.UnicodeText, nullable=False),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column("total_bytes", sa.BigInteger, nullable=False),
        sa.Column("stored_files", JSONB),
        sa.Column("note", sa.UnicodeText),
        sa.Column("event_id", sa.BigInteger),
        sa.CheckConstraint("kind IN ('full', 'sample')", name="tjregistry_evidence_kind_check"),
    )
    # Evidence is never edited: a later copy is checked against what was recorded.
    op.execute("""
        CREATE OR REPLACE FUNCTION tjregistry_evidence_no_update() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'tjregistry_evidence is append-only';
        END;
        $$ LANGUAGE plpgsql;
    """)
    op.execute("""
        CREATE TRIGGER tjregistry_evidence_no_update
        BEFORE UPDATE ON tjregistry_evidence
        FOR EACH ROW EXECUTE FUNCTION tjregistry_evidence_no_update();
    """)
    op.create_table(
        "tjregistry_evidence_sequence",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )
    op.create_table(
        "tjregistry_delegation",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("registrant_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("agency_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("scope", JSONB, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("document_no", sa.UnicodeText, nullable=False),
        sa.Column("document_name", sa.UnicodeText),
        sa.Column("document_sha256", sa.UnicodeText),
        sa.Column("document_path", sa.UnicodeText),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="active"),
        sa.Column("created_by", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("revoked_by", sa.UnicodeText),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("revocation_reason", sa.UnicodeText),
        sa.CheckConstraint("status IN ('active', 'revoked')",
                           name="tjregistry_delegation_status_check"),
        sa.CheckConstraint("valid_until >= valid_from",
                           name="tjregistry_delegation_period_check"),
    )
    op.create_table(
        "tjregistry_catalogue_entry",
        sa.Column("code", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("provider_name", sa.UnicodeText),
        sa.Column("provider_uscc", sa.UnicodeText),
        sa.Column("registrant_id", sa.UnicodeText, index=True),
        sa.Column("package_id", sa.UnicodeText, index=True),
        sa.Column("fields", JSONB, nullable=False),
        sa.Column("raw", JSONB, nullable=False),
        sa.Column("content_sha256", sa.UnicodeText, nullable=False),
        sa.Column("source_file", sa.UnicodeText),
        sa.Column("source_row", sa.Integer),
        sa.Column("import_id", sa.UnicodeText),
        sa.Column("first_imported", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("last_imported", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "tjregistry_catalogue_import",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("source_file", sa.UnicodeText, nullable=False),
        sa.Column("source_sha256", sa.UnicodeText, nullable=False),
        sa.Column("started", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("finished", sa.DateTime),
        sa.Column("rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("catalogue_only", sa.Integer, nullable=False, server_default="0"),
        sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", sa.UnicodeText),
    )


def downgrade():
    op.drop_table("tjregistry_catalogue_import")
    op.drop_table("tjregistry_catalogue_entry")
    op.drop_table("tjregistry_delegation")
    op.drop_table("tjregistry_evidence_sequence")
    op.execute("DROP TRIGGER IF EXISTS tjregistry_evidence_no_update ON tjregistry_evidence")
    op.execute("DROP FUNCTION IF EXISTS tjregistry_evidence_no_update()")
    op.drop_table("tjregistry_evidence")
