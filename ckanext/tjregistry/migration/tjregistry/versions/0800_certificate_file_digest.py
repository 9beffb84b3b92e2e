"""The issued certificate file's digest, and the signed register record.

Adds ``file_sha256`` (SHA-256 of the PDF the platform issued for a certificate
version) and ``register_seal`` (the row's signed register record: status, validity
and file digest; certificates/register.py) to ``tjregistry_certificate``.

Existing certificates: the digest of each version's stored file is recorded when
the file is there (``<ckan.storage_path>/tjregistry/certificate-pdf/<id>.pdf``) and
carries the version's own signed envelope; otherwise none is recorded and uploads
of that version cannot be proven original. Every row is then signed with its
institution's active key. Rows that cannot be signed (no key available, or a
certificate envelope that does not verify) stay unsigned, read as tampered, and
are listed in the log; sign them later with ``ckan tjregistry certificate
seal-unsealed``.

Revision ID: 0800_certificate_file_digest
Revises: 0700_submission_rounds
Create Date: 2026-12-07
"""
import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0800_certificate_file_digest"
down_revision = "0700_submission_rounds"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def upgrade():
    op.add_column("tjregistry_certificate", sa.Column("file_sha256", sa.UnicodeText))
    op.add_column("tjregistry_certificate", sa.Column("register_seal", JSONB))
    op.create_index("ix_tjregistry_certificate_file_sha256", "tjregistry_certificate",
                    ["file_sha256"])
    connection = op.get_bind()
    if not connection.execute(sa.text("SELECT 1 FROM tjregistry_certificate LIMIT 1")).first():
        return
    from ckanext.tjregistry.certificates import files, signing

    sealed, skipped = files.seal_unsealed(connection, signing.default_keystore())
    log.warning("certificate register: %s record(s) signed, %s left unsigned", sealed,
                len(skipped))
    for message in skipped:
        log.warning("certificate register: %s", message)


def downgrade():
    op.drop_index("ix_tjregistry_certificate_file_sha256", table_name="tjregistry_certificate")
    op.drop_column("tjregistry_certificate", "register_seal")
    op.drop_column("tjregistry_certificate", "file_sha256")
