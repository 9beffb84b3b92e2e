"""``ckan tjregistry activity``: restricted values in CKAN's activity stream."""
from __future__ import annotations

import click

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.metadata import activity_privacy


@registry.command
@click.group()
def activity() -> None:
    """CKAN's activity stream."""


@activity.command("scrub")
def activity_scrub() -> None:
    """Remove restricted values from stored activity rows (also done by migration 0600)."""
    import ckan.model as model


    with model.meta.engine.begin() as connection:
        changed = activity_privacy.scrub_stored(connection)
    click.echo(f"{changed} activity rows cleaned")
