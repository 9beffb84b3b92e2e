"""Separation of duties.

Revision ID: 0830_separation_of_duties
Revises: 0825_objection_limits
Create Date: 2026-12-07
"""

revision = "0830_separation_of_duties"
down_revision = "0825_objection_limits"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
