"""``ckan tjregistry certificate ...`` commands."""
from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import signing
from ckanext.tjregistry.certificates.procedure import expire_and_notify
from ckanext.tjregistry.common import registry


@registry.command
@click.group(short_help="Registration certificates (登记凭证)")
def certificate() -> None:
    """Registration certificates: signing keys, the expiry sweep and the register check."""


@certificate.command("keygen")
@click.argument("institution")
@click.option("--key-dir", default=None, help="Key directory (default: the configured one).")
@click.option(
    "--no-activate",
    is_flag=True,
    help="Keep signing with the current key; only publish the new one.",
)
def keygen(institution: str, key_dir: str | None, no_activate: bool) -> None:
    """Generate an SM2 signing key for INSTITUTION (its organization name)."""
    try:
        tk.get_action("organization_show")(
            {"ignore_auth": True}, {"id": institution, "include_datasets": False}
        )
    except tk.ObjectNotFound:
        raise click.ClickException(f"no organization named {institution!r}") from None
    store = signing.default_keystore()
    if key_dir:
        store = signing.KeyStore(
            key_dir, tk.config.get("tjregistry.certificate.key_passphrase") or None
        )
    try:
        info = store.generate(institution, activate=not no_activate)
    except signing.SigningError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"key_id: {info.key_id}")
    click.echo(f"active: {info.active}")
    click.echo(f"sm3_fingerprint: {info.fingerprint}")
    click.echo(info.pem, nl=False)


@certificate.command("expire")
@click.option(
    "--date",
    "on_date",
    default=None,
    help="Treat this ISO date as today (default: today in ckan.display_timezone).",
)
def expire(on_date: str | None) -> None:
    """Expire valid certificates past their last valid day (and their registrations)."""

    today = dt.date.fromisoformat(on_date) if on_date else None
    expired = expire_and_notify(today)
    for code, _ in expired:
        click.echo(f"expired {code}")
    click.echo(f"{len(expired)} certificate(s) expired")


@certificate.command("remind")
@click.option(
    "--date",
    "on_date",
    default=None,
    help="Treat this ISO date as today (default: today in ckan.display_timezone).",
)
def remind(on_date: str | None) -> None:
    """Send the reminders to request renewal (续展) that are due (each once per version)."""
    from ckanext.tjregistry.certificates import renewal

    try:
        today = dt.date.fromisoformat(on_date) if on_date else None
    except ValueError:
        raise click.ClickException("--date: 日期格式应为 YYYY-MM-DD / use YYYY-MM-DD") from None
    sent = renewal.send_reminders(today)
    for code, days in sent:
        click.echo(f"reminded {code} ({days} days)")
    click.echo(f"{len(sent)} renewal reminder(s) sent")


@certificate.command("check")
def check() -> None:
    """Check every certificate in the register (exit 1 if any fails).

    Each row's certificate signature, its signed register record (status, validity,
    file digest) and the agreement of the row's columns with both.
    """
    import ckan.model as model

    from ckanext.tjregistry.certificates import register
    from ckanext.tjregistry.model.certificate import Certificate

    rows = model.Session.query(Certificate).order_by(Certificate.code, Certificate.version)
    count, failing = register.check_all(signing.default_keystore(), rows)
    for problem in failing:
        fields = f" (columns: {', '.join(problem.fields)})" if problem.fields else ""
        click.echo(f"{problem.code} v{problem.version}: {', '.join(problem.problems)}{fields}")
    if failing:
        click.echo(f"register BROKEN: {len(failing)} of {count} certificate versions fail")
        sys.exit(1)
    click.echo(f"register intact: {count} certificate versions")


@certificate.command("seal-unsealed")
def seal_unsealed() -> None:
    """Sign the register records of certificates issued before the register was signed.

    Migration 0800 does this when the signing keys are available; run it after an
    upgrade that could not. It trusts the rows as they stand, so run it only then,
    and check the rows it lists against the registration history.
    """
    import ckan.model as model

    from ckanext.tjregistry.certificates import files

    try:
        sealed, skipped = files.seal_unsealed(model.Session.connection(),
                                              signing.default_keystore())
        model.Session.commit()
    except Exception:
        model.Session.rollback()
        raise
    for message in skipped:
        click.echo(message)
    click.echo(f"{sealed} register record(s) signed, {len(skipped)} left unsigned")


def _site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def _fail(error: tk.ValidationError) -> None:
    for field, messages in (error.error_dict or {}).items():
        for message in messages:
            click.echo(f"{field}: {message}", err=True)
    raise SystemExit(1)


@certificate.command("national-code")
@click.argument("code")
@click.argument("national_code")
def national_code(code: str, national_code: str) -> None:
    """Record the national result code (登记结果查询码) of registration CODE."""
    try:
        result = tk.get_action("certificate_national_code_set")(
            _site_context(), {"code": code, "national_code": national_code})
    except tk.ValidationError as error:
        _fail(error)
    click.echo(f"{result['code']}: {result['national_code']}")


@certificate.command("national-code-import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def national_code_import(csv_file: Any) -> None:
    """Record national codes from a CSV file of registration_code,national_code lines
    (all or nothing)."""
    try:
        result = tk.get_action("certificate_national_code_import")(
            _site_context(), {"csv": csv_file.read()})
    except tk.ValidationError as error:
        _fail(error)
    click.echo(f"{result['recorded']} national code(s) recorded")
