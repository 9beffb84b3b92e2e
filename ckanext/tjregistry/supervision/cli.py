"""``ckan tjregistry report ...``: service reports and statistics from the command line."""
from __future__ import annotations

import pathlib

import click

from ckanext.tjregistry.common import jurisdiction, registry, tabular
from ckanext.tjregistry.supervision import report_pdf, reports, statistics


@registry.command
@click.group(short_help="Supervision reports: institutions' service reports, statistics")
def report() -> None:
    """Reports for the data authorities (Art. 27)."""


def _write(data: bytes, output: str | None, default_name: str) -> None:
    path = pathlib.Path(output or default_name)
    path.write_bytes(data)
    click.echo(f"wrote {path} ({len(data)} bytes)")


@report.command("service")
@click.option("--institution", required=True, help="The institution's name or id.")
@click.option("--from", "date_from", default="", help="First day, YYYY-MM-DD.")
@click.option("--to", "date_to", default="", help="Last day, YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx"]), default="pdf",
              show_default=True)
@click.option("--output", "-o", default=None,
              help="File to write (default: service-report-<institution>-<from>-<to>.<format>).")
def service(institution: str, date_from: str, date_to: str, fmt: str,
            output: str | None) -> None:
    """Write a registration institution's periodic service report (PDF or XLSX)."""
    import ckan.plugins.toolkit as tk


    try:
        inst = jurisdiction.institution(institution)
        period = statistics.parse_period(date_from, date_to)
    except tk.ObjectNotFound as error:
        raise click.ClickException(str(error)) from None
    except tk.ValidationError as error:
        raise click.ClickException(_messages(error)) from None
    result = reports.compute(inst.id, period)
    data = report_pdf.render(result) if fmt == "pdf" else reports.to_xlsx(result)
    _write(data, output, reports.filename(result, fmt))


@report.command("statistics")
@click.option("--from", "date_from", default="", help="First day, YYYY-MM-DD.")
@click.option("--to", "date_to", default="", help="Last day, YYYY-MM-DD.")
@click.option("--district", default="", help="GB/T 2260 code of one district (default: city).")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx",
              show_default=True)
@click.option("--section", default="district", show_default=True,
              help="For CSV: summary, district, registrant, category, status, type, monthly "
                   "or late.")
@click.option("--output", "-o", default=None, help="File to write.")
def statistics_command(date_from: str, date_to: str, district: str, fmt: str, section: str,
                       output: str | None) -> None:
    """Write the registration statistics (XLSX with every section, or one section as CSV)."""
    import ckan.plugins.toolkit as tk


    try:
        period = statistics.parse_period(date_from, date_to)
        if district and district not in jurisdiction.DISTRICTS:
            raise statistics.StatisticsError("district", "区划代码无效", "Unknown district code")
        area = district or statistics.CITY
        result = statistics.compute(area, period)
        name = f"registration-statistics-{area}-{period.start}-{period.end}"
        if fmt == "xlsx":
            _write(statistics.to_xlsx(result), output, f"{name}.xlsx")
            return
        table = statistics.table(result, section)
    except tk.ValidationError as error:
        raise click.ClickException(_messages(error)) from None
    _write(tabular.to_csv(table.headers, table.rows), output, f"{name}-{section}.csv")




def _messages(error: object) -> str:
    details = getattr(error, "error_dict", None) or {}
    return "; ".join(f"{key}: {' '.join(map(str, value))}" for key, value in details.items())


@report.command("digest")
@click.option("--date", "on_date", default="", help="The day (YYYY-MM-DD, Tianjin); default today.")
@click.option("--send", "send_it", is_flag=True,
              help="Write the notices and e-mails; without it the digest is only shown.")
def digest_command(on_date: str, send_it: bool) -> None:
    """The institutions' digest of decisions falling due or overdue."""
    import datetime as dt

    from ckanext.tjregistry.supervision import digest

    try:
        day = dt.date.fromisoformat(on_date) if on_date else None
    except ValueError as error:
        raise click.BadParameter("YYYY-MM-DD", param_hint="--date") from error
    for entry in digest.preview(day):
        click.echo(entry["institution"])
        for line in entry["lines"]:
            click.echo(f"  {line}")
    if send_it:
        written = digest.send(day)
        click.echo(f"notices written: {sum(written.values())}")
