"""``ckan tjregistry checkpoint-history`` and ``history checkpoint | checkpoint-keygen |
verify-file``: the signed checkpoints of the history (checkpoints.py)."""
from __future__ import annotations

import sys

import click

from ckanext.tjregistry.certificates import signing
from ckanext.tjregistry.common import registry
from ckanext.tjregistry.operations import checkpoints
from ckanext.tjregistry.registration.cli import history


def _checkpoint() -> None:
    try:
        made = checkpoints.checkpoint_now()
    except (checkpoints.CheckpointError, signing.SigningError) as error:
        raise click.ClickException(str(error)) from None
    if made is None:
        click.echo("no new events since the last checkpoint: nothing signed")
        return
    click.echo(f"checkpoint #{made.seq}: {made.count} events through event "
               f"{made.head_event_id} ({made.new_events} new), published in "
               f"{checkpoints.published_path()}")


@registry.command
@click.command("checkpoint-history")
def checkpoint_history() -> None:
    """Sign a checkpoint of the history's head if it moved (the scheduler does this every
    tjregistry.history.checkpoint_interval_hours)."""
    _checkpoint()


@history.command("checkpoint")
def history_checkpoint() -> None:
    """Sign a checkpoint of the history's head if it moved (= checkpoint-history)."""
    _checkpoint()


@history.command("checkpoint-keygen")
@click.option("--no-activate", is_flag=True,
              help="Keep signing with the current key; only publish the new one.")
def checkpoint_keygen(no_activate: bool) -> None:
    """Generate the SM2 key that signs history checkpoints (kept outside the database)."""
    try:
        info = checkpoints.generate_key(activate=not no_activate)
    except signing.SigningError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"key_id: {info.key_id}")
    click.echo(f"active: {info.active}")
    click.echo(f"sm3_fingerprint: {info.fingerprint}")
    click.echo(info.pem, nl=False)


@history.command("verify-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def verify_file(path: str) -> None:
    """Check the history against a checkpoint file kept elsewhere (exit 1 on a problem)."""
    found = checkpoints.check(path=path)
    for problem in found["problems"]:
        click.echo(f"event {problem['event_id']}: {problem['problem']} ({problem['detail']})")
    summary = found["summary"]["checkpoints"]
    if found["problems"]:
        first = [p["event_id"] for p in found["problems"] if p["event_id"] is not None]
        if first:
            click.echo(f"first bad event: {min(first)}")
        click.echo(f"history does NOT match the checkpoints: {len(found['problems'])} problems")
        sys.exit(1)
    click.echo(f"history matches {summary['count']} checkpoints")
