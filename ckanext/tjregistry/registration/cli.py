"""``ckan tjregistry workflow ...``, ``history verify`` and ``verify-history`` commands."""
from __future__ import annotations

import sys

import click

from ckanext.tjregistry.common import history as history_chain
from ckanext.tjregistry.common import jurisdiction, registry, workdays
from ckanext.tjregistry.registration import late as late_registrations
from ckanext.tjregistry.registration import repair as repairs
from ckanext.tjregistry.registration import visibility as rule
from ckanext.tjregistry.registration import workflow as machine


@registry.command
@click.group(short_help="Registration workflow: deadlines, late registrations, publicity")
def workflow() -> None:
    """Registration workflow commands."""


@workflow.command("overdue")
def overdue() -> None:
    """List open applications past the deadline of their current step (working days)."""

    today = workdays.local_today()
    rows = machine.overdue(today)
    for app, state, due in rows:
        institution = jurisdiction.profile(app.institution_id)
        click.echo(f"{app.id}\t{state}\tdue {due.isoformat()}\t"
                   f"{workdays.workdays_between(due, today)} working days late\t"
                   f"{institution.name if institution else '-'}")
    click.echo(f"{len(rows)} overdue")


@workflow.command("late")
@click.option("--catalogue", is_flag=True,
              help="Also government catalogue entries nobody started to register.")
def late(catalogue: bool) -> None:
    """List datasets whose first registration is late (Art. 18)."""

    rows = late_registrations.late_registrations()
    for row in rows:
        click.echo(f"{row['name']}\tstarted {row['activity_start']}\tdue {row['deadline']}\t"
                   f"submitted {row['submitted'] or '-'}\t{row['workdays_late']} working days")
    click.echo(f"{len(rows)} late")
    if catalogue:
        entries = late_registrations.catalogue_obligations()
        for entry in entries:
            click.echo(f"{entry['gov_catalog_code']}\t{entry['title']}\t"
                       f"{entry['provider_name'] or '-'}\tknown since {entry['known_since']}\t"
                       f"due {entry['deadline']}\t{entry['workdays_late']} working days")
        click.echo(f"{len(entries)} catalogue entries overdue, never submitted")


def _verify() -> None:
    result = history_chain.verify()
    for problem in result.problems:
        click.echo(f"event {problem['event_id']}: {problem['problem']} ({problem['detail']})")
    if result.ok:
        anchored = result.anchors.get("checkpoints") or {}
        if anchored.get("count"):
            click.echo(f"history intact: {result.length} events, {anchored['count']} signed "
                       f"checkpoints (through event {anchored['anchored_through_event_id']})")
        else:
            click.echo(f"history intact: {result.length} events")
        return
    if result.first_bad_event_id is not None:
        click.echo(f"first bad event: {result.first_bad_event_id}")
    click.echo(f"history BROKEN: {len(result.problems)} problems in {result.length} events")
    sys.exit(1)


@registry.command
@click.group(short_help="Registration history")
def history() -> None:
    """The tamper-evident registration history."""


@history.command("verify")
def history_verify() -> None:
    """Verify the hash chain of the registration history (exit 1 if broken)."""
    _verify()


@registry.command
@click.command("verify-history")
def verify_history() -> None:
    """Verify the hash chain of the registration history (exit 1 if broken)."""
    _verify()


@registry.command
@click.group()
def visibility() -> None:
    """Who sees which dataset: the public register (visibility.py)."""


@visibility.command("relabel")
def visibility_relabel() -> None:
    """Re-index every dataset and give its activity rows its current visibility (after
    upgrading, or after changing tjregistry.catalogue.public_statuses)."""

    datasets, rows = rule.relabel_all()
    click.echo(f"{datasets} datasets re-indexed, {rows} activity rows relabelled")


@registry.command
@click.group()
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
