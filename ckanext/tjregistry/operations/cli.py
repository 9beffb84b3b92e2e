"""``ckan tjregistry backup``, ``restore``, ``evidence ...`` and ``catalogue import``."""
from __future__ import annotations

import datetime as dt
import json
import os
import sys

import click

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.operations import backup as backups
from ckanext.tjregistry.operations import catalogue_import as importer
from ckanext.tjregistry.registration import evidence as records


@registry.command
@click.command("backup", short_help="Write a backup archive (Art. 14, kept ≥30 years)")
@click.option("-o", "--output", default=None,
              help="Archive file (.tar, or .tar.gz/.tgz to compress). Default: "
                   "tjregistry-backup-<UTC time>.tar.gz in the current directory.")
def backup(output: str | None) -> None:
    """Write a self-describing archive of every registration record (see its README.txt)."""

    if output is None:
        output = f"tjregistry-backup-{dt.datetime.utcnow().strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
    try:
        result = backups.create(output, progress=lambda step: click.echo(f"… {step}", err=True))
    except (backups.BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    counts = result.manifest["counts"]
    click.echo(f"archive: {result.path}")
    click.echo(f"sha256: {result.sha256}")
    click.echo(f"datasets {counts['datasets']}, organizations {counts['organizations']}, "
               f"users {counts['users']}, history events {result.manifest['history']['events']}, "
               f"files {counts['files']}, public keys {counts['public_keys']}")
    if not result.manifest["history"]["intact"]:
        click.echo("WARNING: the history chain did not verify when the backup was taken "
                   "(see `ckan tjregistry history verify`)", err=True)


@registry.command
@click.command("restore", short_help="Rebuild an empty instance from a backup archive")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--check-only", is_flag=True,
              help="Only check the archive's digests; change nothing.")
def restore(archive: str, check_only: bool) -> None:
    """Restore ARCHIVE into this (empty) instance, reindex Solr and verify the result.

    Exits with status 1 if the history chain or any certificate does not verify.
    """

    if check_only:
        try:
            with backups.open_archive(archive) as opened:
                problems = opened.verify()
                manifest = opened.manifest
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from None
        for problem in problems:
            click.echo(problem)
        if problems:
            sys.exit(1)
        click.echo(f"archive intact: {len(manifest['parts'])} parts, created "
                   f"{manifest['created']}")
        return
    try:
        result = backups.restore(archive, progress=lambda step: click.echo(f"… {step}", err=True))
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    for name, count in sorted(result.counts.items()):
        click.echo(f"restored {name}: {count}")
    click.echo(f"history: {result.history_events} events, "
               f"{'intact' if result.history_intact else 'BROKEN'}")
    click.echo("certificates: " + (", ".join(f"{outcome} {count}" for outcome, count
                                              in sorted(result.certificates.items())) or "none"))
    for problem in result.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if not result.ok:
        sys.exit(1)


@registry.command
@click.group(short_help="Evidence preservation (存证): manifests and verification")
def evidence() -> None:
    """Evidence preservation (存证, Art. 15)."""


@evidence.command("manifest")
@click.argument("path", type=click.Path(exists=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the manifest to this file instead of standard output.")
def evidence_manifest(path: str, output: str | None) -> None:
    """Compute the evidence manifest of PATH (a file or every file under a directory).

    Upload the result as ``manifest`` to ``evidence_create``; the data stays here.
    """

    document = records.manifest_document(records.manifest_of_path(path))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"{document['manifest_sha256']}  {len(document['entries'])} files")
    else:
        click.echo(text, nl=False)


@evidence.command("verify")
@click.argument("number")
@click.argument("path", type=click.Path(exists=True))
def evidence_verify(number: str, path: str) -> None:
    """Check the copy of the data at PATH against evidence record NUMBER (exit 1 if not)."""
    import ckan.plugins.toolkit as tk


    try:
        record = records.get(number)
    except tk.ObjectNotFound as error:
        raise click.ClickException(str(error)) from None
    result = records.verify(record, records.manifest_of_path(path))
    for label in ("altered", "missing", "extra"):
        for item in result[label]:
            click.echo(f"{label}: {item}")
    click.echo(f"matched {len(result['matched'])} of {record.file_count} recorded files; "
               f"record intact: {result['record_intact']}")
    if not result["match"]:
        click.echo("NO MATCH")
        sys.exit(1)
    click.echo("MATCH")


@registry.command
@click.group(short_help="Government data catalogue (政务数据目录)")
def catalogue() -> None:
    """The government data catalogue (政务数据目录, Art. 14)."""


@catalogue.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="Per-row report (CSV). Default: next to the input file.")
@click.option("--user", "user_name", default=None,
              help="User recorded as the importer (an existing account).")
@click.option("--workers", type=click.IntRange(1, 32), default=min(os.cpu_count() or 1, 8),
              show_default=True, help="Processes applying the rows (default: one per CPU, "
              "at most 8).")
def catalogue_import(path: str, report: str | None, user_name: str | None,
                     workers: int) -> None:
    """Import catalogue entries from a CSV or XLSX file into draft registrations.

    Re-importing updates the entries and drafts with the same catalogue code.
    """

    try:
        importer.importing_user(user_name)  # before reading a large file
        total = importer.count_rows(path)
        with click.progressbar(length=total, label="导入 importing", show_pos=True,
                               file=sys.stderr) as bar:
            summary = importer.run(path, report_path=report, user_name=user_name,
                                   progress=bar.update, workers=workers)
    except importer.ImportRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"rows: {summary.rows}")
    for status in importer.STATUSES:
        click.echo(f"{status}: {summary.counts.get(status, 0)}")
    click.echo(f"report: {os.path.abspath(summary.report_path)}")
    if summary.counts.get(importer.ERROR):
        sys.exit(1)


