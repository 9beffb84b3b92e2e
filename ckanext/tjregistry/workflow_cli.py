"""``ckan tjregistry workflow ...``, ``history verify`` and ``verify-history`` commands."""
from __future__ import annotations

import pathlib
import sys

import click


@click.group(short_help="Registration workflow: deadlines, late registrations, publicity")
def workflow() -> None:
    """Registration workflow commands."""


@workflow.command("overdue")
def overdue() -> None:
    """List open applications past the deadline of their current step (working days)."""
    from ckanext.tjregistry import jurisdiction, workdays
    from ckanext.tjregistry import workflow as machine

    today = workdays.local_today()
    rows = machine.overdue(today)
    for app, state, due in rows:
        institution = jurisdiction.profile(app.institution_id)
        click.echo(f"{app.id}\t{state}\tdue {due.isoformat()}\t"
                   f"{workdays.workdays_between(due, today)} working days late\t"
                   f"{institution.name if institution else '-'}")
    click.echo(f"{len(rows)} overdue")


@workflow.command("late")
def late() -> None:
    """List datasets whose first registration is late (Art. 18)."""
    from ckanext.tjregistry import late as late_registrations

    rows = late_registrations.late_registrations()
    for row in rows:
        click.echo(f"{row['name']}\tstarted {row['activity_start']}\tdue {row['deadline']}\t"
                   f"submitted {row['submitted'] or '-'}\t{row['workdays_late']} working days")
    click.echo(f"{len(rows)} late")


@workflow.command("close-publicity")
@click.option("--enqueue", is_flag=True,
              help="Hand the sweep to the background worker (ckan jobs worker) instead.")
def close_publicity(enqueue: bool) -> None:
    """Close every publicity period that ended with no objection pending, and issue.

    A period ends at the sweep time (tjregistry.publicity.sweep_time, 23:30 by default)
    of its last working day; run this from cron after that time, or let
    ``ckan tjregistry workflow scheduler`` queue it. Applications approved earlier whose
    certificate could not be issued are retried. Exits with 1 if any application failed.
    """
    from ckanext.tjregistry import publicity

    if enqueue:
        job = publicity.enqueue_sweep()
        click.echo(f"queued job {job.id}")
        return
    report = publicity.sweep()
    for app_id, error in report.failed.items():
        click.echo(f"{app_id}: {error}", err=True)
    click.echo(f"{len(report.closed)} publicity periods closed, "
               f"{len(report.issued)} certificates issued, "
               f"{len(report.awaiting_issuance)} awaiting issuance")
    upcoming = publicity.next_closing()
    if upcoming:
        click.echo(f"next period closes at {upcoming.isoformat(timespec='minutes')}")
    if report.failed:
        click.echo(f"{len(report.failed)} applications failed: {' '.join(report.failed)}",
                   err=True)
        sys.exit(1)


@workflow.command("scheduler")
@click.option("--heartbeat", type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="File touched at least once a minute while the scheduler runs.")
def scheduler(heartbeat: pathlib.Path | None) -> None:
    """Queue the end-of-publicity sweep at the end of every working day; runs until stopped.

    The sweep goes to CKAN's job queue (tjregistry.publicity.job_queue), so run
    ``ckan jobs worker`` as well. At start-up the sweep is queued at once if a period
    ended while the scheduler was not running. SIGTERM or SIGINT stop it.
    """
    from ckanext.tjregistry import publicity, workdays
    from ckanext.tjregistry.publicity_scheduler import Scheduler, SignalWait

    try:
        closes_at = publicity.sweep_time_label()
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"publicity scheduler: sweeps at {closes_at} ({workdays.timezone().key}) "
               f"on working days; next at {publicity.next_trigger().isoformat()}")
    wait = SignalWait()
    try:
        Scheduler(wait=wait, heartbeat=heartbeat).run()
    finally:
        wait.close()
    click.echo("publicity scheduler stopped")


@workflow.command("calendar")
@click.argument("years", nargs=-1, type=int)
def calendar(years: tuple[int, ...]) -> None:
    """Show where each year's holiday calendar comes from (package, override, fallback)."""
    from ckanext.tjregistry import workdays

    cal = workdays.calendar()
    if not years:
        today = workdays.local_today()
        years = (today.year, today.year + 1)
    for year in years:
        note = " (provisional)" if year in cal.overrides and cal.overrides[year].provisional else ""
        click.echo(f"{year}\t{cal.source(year)}{note}")


def _verify() -> None:
    from ckanext.tjregistry import history

    result = history.verify()
    for problem in result.problems:
        click.echo(f"event {problem['event_id']}: {problem['problem']} ({problem['detail']})")
    if result.ok:
        click.echo(f"history intact: {result.length} events")
        return
    click.echo(f"history BROKEN: {len(result.problems)} problems in {result.length} events")
    sys.exit(1)


@click.group(short_help="Registration history")
def history() -> None:
    """The tamper-evident registration history."""


@history.command("verify")
def history_verify() -> None:
    """Verify the hash chain of the registration history (exit 1 if broken)."""
    _verify()


@click.command("verify-history")
def verify_history() -> None:
    """Verify the hash chain of the registration history (exit 1 if broken)."""
    _verify()


COMMANDS = (workflow, history, verify_history)
