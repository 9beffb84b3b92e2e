"""The issued certificate file's digest.

Revision ID: 0800_certificate_file_digest
Revises: 0700_submission_rounds
Create Date: 2026-12-07
"""

revision = "0800_certificate_file_digest"
down_revision = "0700_submission_rounds"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
