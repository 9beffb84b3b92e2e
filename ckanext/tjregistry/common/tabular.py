"""CSV and XLSX output of plain tables (statistics and service reports)."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
# Characters Excel would read as the start of a formula; such cell text is quoted.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    # Lines printed above the table (title, period, notes).
    preamble: list[str] = field(default_factory=list)
    # "bar" or "line" adds an Excel chart of the numeric columns ``chart_columns``.
    chart: str | None = None
    chart_columns: tuple[int, int] | None = None


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would evaluate as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow(["" if value is None else safe_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel limits sheet names to 31 characters and forbids a few characters.
    clean = "".join("_" if c in "[]:*?/\\" else c for c in title)[:31] or "Sheet"
    name, suffix = clean, 2
    while name in used:
        name = f"{clean[:28]}_{suffix}"
        suffix += 1
    used.add(name)
    return name


def to_xlsx(sheets: Sequence[Sheet], *, title: str = "", creator: str = "") -> bytes:
    book = Workbook()
    book.remove(book.active)
    book.properties.title = title
    book.properties.creator = creator
    used: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title, used))
        for line in sheet.preamble:
            ws.append([safe_cell(line)])
        if sheet.preamble:
            ws["A1"].font = Font(bold=True, size=13)
            ws.append([])
        header_row = ws.max_row + 1 if sheet.preamble else 1
        ws.append([safe_cell(h) for h in sheet.headers])
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in sheet.rows:
            ws.append(["" if value is None else safe_cell(value) for value in row])
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        for index, header in enumerate(sheet.headers, start=1):
            values = [str(header)] + [str(row[index - 1]) for row in sheet.rows
                                      if index - 1 < len(row) and row[index - 1] is not None]
            # CJK characters are about twice as wide as Latin ones.
            width = max(sum(2 if ord(c) > 0x2E80 else 1 for c in v) for v in values)
            ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
        if sheet.chart and sheet.chart_columns and sheet.rows:
            _add_chart(ws, sheet, header_row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _add_chart(ws: Any, sheet: Sheet, header_row: int) -> None:
    first, last = sheet.chart_columns  # type: ignore[misc]
    last_row = header_row + len(sheet.rows)
    chart = BarChart() if sheet.chart == "bar" else LineChart()
    if isinstance(chart, BarChart):
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
    chart.title = sheet.title
    chart.height = max(7.5, 0.6 * len(sheet.rows) + 3) if sheet.chart == "bar" else 9
    chart.width = 22
    data = Reference(ws, min_col=first, max_col=last, min_row=header_row, max_row=last_row)
    categories = Reference(ws, min_col=1, min_row=header_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    ws.add_chart(chart, f"{get_column_letter(len(sheet.headers) + 2)}{header_row}")
