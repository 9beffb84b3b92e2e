"""Signed checkpoints of the history chain.

Revision ID: 0810_history_checkpoints
Revises: 0800_certificate_file_digest
Create Date: 2026-12-07
"""

revision = "0810_history_checkpoints"
down_revision = "0800_certificate_file_digest"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
