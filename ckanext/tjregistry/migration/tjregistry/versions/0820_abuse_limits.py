"""Limits against abuse (login throttling, objections, reserved names).

Revision ID: 0820_abuse_limits
Revises: 0810_history_checkpoints
Create Date: 2026-12-07
"""

revision = "0820_abuse_limits"
down_revision = "0810_history_checkpoints"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
