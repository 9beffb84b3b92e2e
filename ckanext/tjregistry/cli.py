"""``ckan tjregistry ...`` commands."""
from __future__ import annotations

import click

from ckanext.tjregistry.certificates.cli import certificate
from ckanext.tjregistry.dcat.cli import dcat_export
from ckanext.tjregistry.operations_cli import COMMANDS as OPERATIONS_COMMANDS
from ckanext.tjregistry.supervision_cli import report
from ckanext.tjregistry.workflow_cli import COMMANDS as WORKFLOW_COMMANDS

__all__ = ["tjregistry"]


@click.group(short_help="Tianjin registration platform commands")
def tjregistry() -> None:
    """Commands of the Tianjin public data resource registration platform."""


@tjregistry.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
def demo_load() -> None:
    """Create demo institutions, registrants, users and registrations (idempotent)."""
    from ckanext.tjregistry import demo as demo_data

    summary = demo_data.load()
    for line in summary:
        click.echo(line)


@tjregistry.group()
def activity() -> None:
    """CKAN's activity stream."""


@activity.command("scrub")
def activity_scrub() -> None:
    """Remove restricted values from stored activity rows (also done by migration 0600)."""
    import ckan.model as model

    from ckanext.tjregistry import activity_privacy

    with model.meta.engine.begin() as connection:
        changed = activity_privacy.scrub_stored(connection)
    click.echo(f"{changed} activity rows cleaned")


@tjregistry.group()
def visibility() -> None:
    """Who sees which dataset: the public register (visibility.py)."""


@visibility.command("relabel")
def visibility_relabel() -> None:
    """Re-index every dataset and give its activity rows its current visibility (after
    upgrading, or after changing tjregistry.catalogue.public_statuses)."""
    from ckanext.tjregistry import visibility as rule

    datasets, rows = rule.relabel_all()
    click.echo(f"{datasets} datasets re-indexed, {rows} activity rows relabelled")


@tjregistry.group()
def repair() -> None:
    """Operator repairs around the freeze, recorded in the history (repair.py)."""


@repair.command("dataset")
@click.argument("dataset")
@click.option("--set", "assignments", multiple=True, required=True, metavar="FIELD=VALUE",
              help="A field and its new value (JSON if it parses as JSON); repeatable.")
@click.option("--reason", required=True, help="Why the repair is needed (recorded).")
@click.option("--operator", required=True, help="The sysadmin making the repair (recorded).")
def repair_dataset(dataset: str, assignments: tuple[str, ...], reason: str,
                   operator: str) -> None:
    """Change fields of a dataset outside the procedure, in the history."""
    import json

    from ckanext.tjregistry import repair as repairs

    changes: dict[str, object] = {}
    for assignment in assignments:
        field, separator, raw = assignment.partition("=")
        if not separator or not field.strip():
            raise click.UsageError(f"--set expects FIELD=VALUE, not {assignment!r}")
        try:
            changes[field.strip()] = json.loads(raw)
        except ValueError:
            changes[field.strip()] = raw
    try:
        result = repairs.repair_dataset(dataset, changes, operator=operator, reason=reason)
    except repairs.RepairError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"repaired {result['package_id']}: {', '.join(result['fields'])} "
               f"(history event {result['event_id']})")


tjregistry.add_command(certificate)
tjregistry.add_command(dcat_export)
tjregistry.add_command(report)
for command in WORKFLOW_COMMANDS:
    tjregistry.add_command(command)
for command in OPERATIONS_COMMANDS:
    tjregistry.add_command(command)
