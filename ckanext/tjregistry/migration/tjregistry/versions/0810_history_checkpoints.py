"""Signed checkpoints of the history chain (tjregistry_history_checkpoint), append-only.

Revision ID: 0810_history_checkpoints
Revises: 0800_certificate_file_digest
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0810_history_checkpoints"
down_revision = "0800_certificate_file_digest"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tjregistry_history_checkpoint",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("last_event_id", sa.BigInteger, nullable=False),
        sa.Column("last_hash", sa.UnicodeText, nullable=False),
        sa.Column("event_count", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.UnicodeText, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("events", JSONB, nullable=False),
    )
    # Like the events, checkpoints are never edited; deletions are left to the published
    # file to detect (CKAN's test tooling empties every table with DELETE).
    op.execute("""
        CREATE OR REPLACE FUNCTION tjregistry_history_checkpoint_no_update()
        RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'tjregistry_history_checkpoint is append-only';
        END;
        $$ LANGUAGE plpgsql;
    """)
    op.execute("""
        CREATE TRIGGER tjregistry_history_checkpoint_no_update
        BEFORE UPDATE ON tjregistry_history_checkpoint
        FOR EACH ROW EXECUTE FUNCTION tjregistry_history_checkpoint_no_update();
    """)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS tjregistry_history_checkpoint_no_update "
               "ON tjregistry_history_checkpoint")
    op.execute("DROP FUNCTION IF EXISTS tjregistry_history_checkpoint_no_update()")
    op.drop_table("tjregistry_history_checkpoint")
