"""Registration applications and their append-only event history.

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
        sa.Column("registrant_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("institution_id", sa.UnicodeText, nullable=True, index=True),
        sa.Column("round", sa.Integer, nullable=False, server_default="1"),
        sa.Column("submitted_at", sa.DateTime, nullable=True),
        sa.Column("accept_due", sa.Date, nullable=True),
        sa.Column("accepted_at", sa.DateTime, nullable=True),
        sa.Column("review_due", sa.Date, nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=True),
        sa.Column("publicity_start", sa.Date, nullable=True),
        sa.Column("publicity_end", sa.Date, nullable=True),
        sa.Column("decision", sa.UnicodeText, nullable=True),
        sa.Column("refusal_ground", sa.UnicodeText, nullable=True),
        sa.Column("reasons", sa.UnicodeText, nullable=True),
        sa.Column("proposed", JSONB, nullable=True),
        sa.Column("created_by", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("modified", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "tjregistry_event",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.UnicodeText, nullable=True, index=True),
        sa.Column("package_id", sa.UnicodeText, nullable=True, index=True),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("from_state", sa.UnicodeText, nullable=True),
        sa.Column("to_state", sa.UnicodeText, nullable=True),
        sa.Column("actor_id", sa.UnicodeText, nullable=True),
        sa.Column("on_behalf_of", sa.UnicodeText, nullable=True),
        sa.Column("note", sa.UnicodeText, nullable=True),
        sa.Column("data", JSONB, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("prev_hash", sa.UnicodeText, nullable=True),
        sa.Column("hash", sa.UnicodeText, nullable=False),
    )


def downgrade():
    op.drop_table("tjregistry_event")
    op.drop_table("tjregistry_application")
