"""``ckan tjregistry demo``: demo data."""
from __future__ import annotations

import click

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.demo import data as demo_data


@registry.command
@click.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
def demo_load() -> None:
    """Create demo institutions, registrants, users and registrations (idempotent)."""

    summary = demo_data.load()
    for line in summary:
        click.echo(line)
