"""``ckan tjregistry certificate ...`` commands."""
from __future__ import annotations

import datetime as dt

import click

from ckanext.tjregistry.certificates import signing
from ckanext.tjregistry.certificates.procedure import expire_and_notify
from ckanext.tjregistry.common import registry


@registry.command
@click.group(short_help="Registration certificates (登记凭证)")
def certificate() -> None:
    """Registration certificates: signing keys and the expiry sweep."""


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
    import ckan.plugins.toolkit as tk


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
