"""Registration applications, registrations, the append-only event history and notifications.

Revision ID: 0001_application_and_event
Revises:
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_application_and_event"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tjregistry_application",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("application_type", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False, index=True),
        sa.Column("is_open", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("resume_state", sa.UnicodeText),
        sa.Column("registrant_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("institution_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("routing", sa.UnicodeText),
        sa.Column("round", sa.Integer, nullable=False, server_default="1"),
        sa.Column("supplement_round", sa.Integer),
        sa.Column("supplement_items", JSONB),
        sa.Column("submitted_at", sa.DateTime),
        sa.Column("accept_due", sa.Date),
        sa.Column("accepted_at", sa.DateTime),
        sa.Column("review_due", sa.Date),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("publicity_start", sa.Date),
        sa.Column("publicity_end", sa.Date),
        sa.Column("refusal_ground", sa.UnicodeText),
        sa.Column("reasons", sa.UnicodeText),
        sa.Column("withdrawal_reason", sa.UnicodeText),
        sa.Column("pledge", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("internal_review", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("internal_review_note", sa.UnicodeText),
        sa.Column("proposed", JSONB),
        sa.Column("dataset_sha256", sa.UnicodeText),
        sa.Column("duplicates", JSONB),
        sa.Column("filing_deadline", sa.Date),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("modified", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    # One open application per dataset, enforced by the database.
    op.create_index(
        "tjregistry_application_one_open", "tjregistry_application", ["package_id"],
        unique=True, postgresql_where=sa.text("is_open"),
    )
    op.create_table(
        "tjregistry_registration",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("status", sa.UnicodeText, nullable=False, index=True),
        sa.Column("registrant_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("institution_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("application_id", sa.UnicodeText),
        sa.Column("registered_at", sa.DateTime),
        sa.Column("snapshot", JSONB),
        sa.Column("revocation_ground", sa.UnicodeText),
        sa.Column("revocation_reasons", sa.UnicodeText),
        sa.Column("revoked_by", sa.UnicodeText),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("revocation_filing", sa.UnicodeText),
        sa.Column("modified", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "tjregistry_event",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.UnicodeText, nullable=False),
        sa.Column("application_id", sa.UnicodeText, index=True),
        sa.Column("package_id", sa.UnicodeText, index=True),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("from_state", sa.UnicodeText),
        sa.Column("to_state", sa.UnicodeText),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("role", sa.UnicodeText),
        sa.Column("institution_id", sa.UnicodeText),
        sa.Column("note", sa.UnicodeText),
        sa.Column("data", JSONB),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("prev_hash", sa.UnicodeText, nullable=False),
        sa.Column("hash", sa.UnicodeText, nullable=False, unique=True),
    )
    # The database refuses edits of events. Deletions are left to the hash chain to
    # detect, because CKAN's maintenance and test tooling empties every table with DELETE.
    op.execute("""
        CREATE OR REPLACE FUNCTION tjregistry_event_no_update() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'tjregistry_event is append-only';
        END;
        $$ LANGUAGE plpgsql;
    """)
    op.execute("""
        CREATE TRIGGER tjregistry_event_no_update
        BEFORE UPDATE ON tjregistry_event
        FOR EACH ROW EXECUTE FUNCTION tjregistry_event_no_update();
    """)
    op.create_table(
        "tjregistry_history_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.UnicodeText, nullable=False),
    )
    op.create_table(
        "tjregistry_notification",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("application_id", sa.UnicodeText, index=True),
        sa.Column("package_id", sa.UnicodeText),
        sa.Column("event_id", sa.BigInteger),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("to_state", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("read_at", sa.DateTime),
    )


def downgrade():
    op.drop_table("tjregistry_notification")
    op.drop_table("tjregistry_history_head")
    op.execute("DROP TRIGGER IF EXISTS tjregistry_event_no_update ON tjregistry_event")
    op.execute("DROP FUNCTION IF EXISTS tjregistry_event_no_update()")
    op.drop_table("tjregistry_event")
    op.drop_table("tjregistry_registration")
    op.drop_table("tjregistry_application")
