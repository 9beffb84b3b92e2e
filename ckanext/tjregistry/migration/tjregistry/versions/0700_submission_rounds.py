"""Each round's submitted content (tjregistry_submission), append-only.

Applications submitted before keep one row: their latest round, from the content the
application holds.

Revision ID: 0700_submission_rounds
Revises: 0600_scrub_activity
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0700_submission_rounds"
down_revision = "0600_scrub_activity"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tjregistry_submission",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("snapshot", JSONB, nullable=False),
        sa.Column("dataset_sha256", sa.UnicodeText, nullable=False),
        sa.Column("event_id", sa.BigInteger),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("application_id", "round"),
    )
    op.execute("""
        CREATE OR REPLACE FUNCTION tjregistry_submission_no_update() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'tjregistry_submission is append-only';
        END;
        $$ LANGUAGE plpgsql;
    """)
    op.execute("""
        CREATE TRIGGER tjregistry_submission_no_update
        BEFORE UPDATE ON tjregistry_submission
        FOR EACH ROW EXECUTE FUNCTION tjregistry_submission_no_update();
    """)
    op.execute("""
        INSERT INTO tjregistry_submission (application_id, round, snapshot, dataset_sha256,
                                           created)
        SELECT id, round, proposed, dataset_sha256, COALESCE(submitted_at, created)
        FROM tjregistry_application
        WHERE proposed IS NOT NULL AND dataset_sha256 IS NOT NULL
    """)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS tjregistry_submission_no_update ON tjregistry_submission")
    op.execute("DROP FUNCTION IF EXISTS tjregistry_submission_no_update()")
    op.drop_table("tjregistry_submission")
