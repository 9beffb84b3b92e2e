"""``ckan tjregistry calendar check`` and ``calendar recompute`` (calendar_upkeep.py)."""
from __future__ import annotations

import click

from ckanext.tjregistry.common import registry, workdays
from ckanext.tjregistry.operations import calendar_upkeep as upkeep


@registry.command
@click.group(short_help="The working-day calendar: check it, apply a corrected one")
def calendar() -> None:
    """The holiday calendar the working-day deadlines are counted on."""


@calendar.command("check")
@click.argument("years", nargs=-1, type=int)
def check(years: tuple[int, ...]) -> None:
    """Show where each year's calendar comes from (package, override, fallback; this year
    and the next two by default); exit 1 while a warning is due (from 1 November, next
    year's calendar missing or provisional)."""
    for status in (upkeep.year_status(year) for year in years) if years else upkeep.years():
        note = " (provisional)" if status.provisional else ""
        click.echo(f"{status.year}\t{status.source}{note}")
    if upkeep.last_applied() != upkeep.digest():
        click.echo("the calendar in force has not been applied to open deadlines yet: "
                   "run `ckan tjregistry calendar recompute`")
    warned = upkeep.warning()
    if warned:
        click.echo(f"warning: {warned['zh_Hans_CN']} / {warned['en']}")
        raise SystemExit(1)


@calendar.command("recompute")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--reason", default="", help="Recorded in the history with each change.")
def recompute(dry_run: bool, reason: str) -> None:
    """Recompute every open deadline on the calendar in force (history, notices)."""
    workdays.forget_calendar()
    changes = upkeep.planned_changes() if dry_run else upkeep.recompute(
        reason=reason or "节假日安排已更新 / The holiday calendar was updated")
    for change in changes:
        old = change.old.isoformat() if change.old else "-"
        click.echo(f"{change.application_id} {change.field}: {old} -> {change.new.isoformat()}")
    verb = "would change" if dry_run else "changed"
    click.echo(f"{len(changes)} deadline(s) {verb}")
