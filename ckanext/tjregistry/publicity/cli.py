"""``ckan tjregistry workflow close-publicity | scheduler``: the end of publicity periods.

The commands join the registration workflow's command group.
"""
from __future__ import annotations

import pathlib
import sys

import click

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.publicity import period as publicity
from ckanext.tjregistry.publicity.scheduler import Scheduler, SignalWait, send_tick
from ckanext.tjregistry.registration.cli import workflow


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
    ended while the scheduler was not running. Every step (at least once a minute) also
    queues the periodic work that is due (history checkpoints, every
    tjregistry.history.checkpoint_interval_hours). SIGTERM or SIGINT stop it.
    """
    try:
        closes_at = publicity.sweep_time_label()
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"publicity scheduler: sweeps at {closes_at} ({workdays.timezone().key}) "
               f"on working days; next at {publicity.next_trigger().isoformat()}")
    wait = SignalWait()
    try:
        Scheduler(wait=wait, heartbeat=heartbeat, tick=send_tick).run()
    finally:
        wait.close()
    click.echo("publicity scheduler stopped")
