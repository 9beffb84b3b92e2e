"""Activity rows keep no restricted value: clean the rows stored before the rule.

CKAN's activity plugin copied whole ``package_show`` answers into ``activity.data``;
inside a request those were read as the acting clerk and so carried restricted
fields. See ckanext/tjregistry/activity_privacy.py.

Revision ID: 0600_scrub_activity
Revises: 0500_catalogue_import_counts
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from ckanext.tjregistry.metadata import activity_privacy

revision = "0600_scrub_activity"
down_revision = "0500_catalogue_import_counts"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    if "activity" in sa.inspect(connection).get_table_names():
        activity_privacy.scrub_stored(connection)


def downgrade():
    """Removed values are not restored."""
