"""``ckan tjregistry ...``: the commands the features registered (common/registry.py)."""
from __future__ import annotations

from typing import Any

import click

from ckanext.tjregistry.common import registry


class FeatureCommands(click.Group):
    """A group whose commands are collected from the features when CKAN asks for them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(registry.collect("command"))

    def get_command(self, ctx: click.Context, cmd_name: str) -> Any:
        return registry.collect("command").get(cmd_name)


@click.group(cls=FeatureCommands, short_help="Tianjin registration platform commands")
def tjregistry() -> None:
    """Commands of the Tianjin public data resource registration platform."""
