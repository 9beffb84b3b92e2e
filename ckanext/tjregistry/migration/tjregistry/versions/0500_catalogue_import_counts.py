"""Catalogue import runs count locked rows and rows of another registrant apart from
unchanged ones.

Revision ID: 0500_catalogue_import_counts
Revises: 0400_objections
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0500_catalogue_import_counts"
down_revision = "0400_objections"
branch_labels = None
depends_on = None


def upgrade():
    for name in ("locked", "other_registrant"):
        op.add_column("tjregistry_catalogue_import",
                      sa.Column(name, sa.Integer, nullable=False, server_default="0"))


def downgrade():
    for name in ("other_registrant", "locked"):
        op.drop_column("tjregistry_catalogue_import", name)
