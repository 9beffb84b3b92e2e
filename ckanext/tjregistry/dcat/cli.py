"""``ckan tjregistry dcat-export ...``: the full catalogue as a file, and its cache."""
from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.dcat import export
from ckanext.tjregistry.dcat.logic import modified_since_filter


def _filters(modified_since: str | None) -> list[str]:
    try:
        since = modified_since_filter(modified_since)
    except tk.ValidationError as error:
        raise click.BadParameter(error.error_dict["modified_since"][0]) from None
    return [since] if since else []


@registry.command
@click.group("dcat-export", short_help="DCAT-AP catalogue of published registrations")
def dcat_export() -> None:
    """The DCAT-AP catalogue of certified, currently valid registrations."""


@dcat_export.command("write")
@click.argument("output", type=click.File("w", encoding="utf-8"))
@click.option("--format", "fmt", type=click.Choice(sorted(export.FORMATS)), default="ttl",
              show_default=True)
@click.option("--modified-since", help="Only registrations changed since (ISO 8601).")
def write(output: click.utils.LazyFile, fmt: str, modified_since: str | None) -> None:
    """Write the catalogue to OUTPUT ("-" for standard output), as it is streamed."""
    for chunk in export.stream_catalog(fmt, _filters(modified_since)):
        output.write(chunk)


@dcat_export.command("warm")
@click.option("--format", "formats", type=click.Choice(sorted(export.FORMATS)), multiple=True,
              help="Formats to prepare (default: all).")
def warm(formats: tuple[str, ...]) -> None:
    """Serialise every changed registration into the export cache (e.g. nightly)."""
    for fmt in formats or sorted(export.FORMATS):
        size = sum(len(chunk) for chunk in export.stream_catalog(fmt))
        click.echo(f"{fmt}: {size} characters")
