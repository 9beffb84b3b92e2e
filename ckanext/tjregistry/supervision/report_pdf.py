"""The service report as a Chinese PDF, with the certificates' Noto CJK fonts."""
from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from ckanext.tjregistry.certificates import pdf as certificate_pdf
from ckanext.tjregistry.supervision import reports

PLATFORM = certificate_pdf.PLATFORM
INK = (30, 30, 30)
MUTED = (110, 110, 110)
ON_TIME = (0, 158, 115)
LATE = (213, 94, 0)
HEADER_FILL = (221, 231, 240)
RULE = (150, 150, 150)
WHITE = (255, 255, 255)
# The PDF lists at most this many late cases; the XLSX has every case.
MAX_LATE_ROWS = 60
LANG = "zh_Hans_CN"


def printable(value: Any) -> str:
    """Text with characters the fonts cannot draw replaced, so nothing silently vanishes."""
    text = "" if value is None else str(value)
    missing = set(certificate_pdf.missing_glyphs(text))
    return "".join("?" if c in missing else c for c in text)


class ReportPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report_title = title
        certificate_pdf.add_fonts(self)
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("serif", size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, printable(f"{self.report_title} · 第 {self.page_no()} 页"),
                  align="C")
        self.set_text_color(*INK)


def _heading(pdf: ReportPDF, text: str) -> None:
    # Keep a heading together with the start of its section.
    if pdf.get_y() > pdf.h - pdf.b_margin - 30:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("serif-bold", size=13)
    pdf.cell(0, 8, printable(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*LATE)
    pdf.set_line_width(0.3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _table(pdf: ReportPDF, headers: list[str], rows: list[list[Any]],
           widths: tuple[float, ...] | None = None, size: int = 9) -> None:
    pdf.set_font("serif", size=size)
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(*WHITE)
    pdf.set_line_width(0.2)
    heading_style = FontFace(family="serif-bold", fill_color=HEADER_FILL)
    with pdf.table(col_widths=widths, headings_style=heading_style, line_height=5.2,
                   text_align="LEFT", first_row_as_headings=True) as table:
        row = table.row()
        for header in headers:
            row.cell(printable(header))
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(printable(value))
    pdf.ln(1)


def _timeliness_bars(pdf: ReportPDF, report: dict[str, Any]) -> None:
    """One bar per stage, split into on-time and late cases."""
    top = pdf.get_y() + 2
    left, label_width, width, height = pdf.l_margin, 22.0, 120.0, 6.0
    biggest = max((row["handled"] for row in report["timeliness"]), default=0) or 1
    pdf.set_font("serif", size=9)
    for index, row in enumerate(report["timeliness"]):
        y = top + index * (height + 3)
        pdf.set_xy(left, y)
        pdf.cell(label_width, height, printable(reports.text(row["label"], LANG)))
        x = left + label_width
        for count, colour in ((row["on_time"], ON_TIME), (row["late"], LATE)):
            if count:
                length = width * count / biggest
                pdf.set_fill_color(*colour)
                pdf.rect(x, y, length, height, style="F")
                x += length
        pdf.set_xy(x + 2, y)
        pdf.cell(50, height, printable(f"按时 {row['on_time']} / 超时 {row['late']}"))
    legend_y = top + len(report["timeliness"]) * (height + 3)
    pdf.set_xy(left + label_width, legend_y)
    for label, colour in (("按时办理", ON_TIME), ("超过时限", LATE)):
        pdf.set_fill_color(*colour)
        pdf.rect(pdf.get_x(), legend_y + 1.2, 3.5, 3.5, style="F")
        pdf.set_x(pdf.get_x() + 5)
        pdf.cell(25, 6, printable(label))
    pdf.set_fill_color(*WHITE)
    pdf.set_y(legend_y + 8)


def render(report: dict[str, Any]) -> bytes:
    inst = report["institution"]
    title = f"{inst['title']}{reports.text(reports.LABELS['title'], LANG)}"
    pdf = ReportPDF(title)
    pdf.set_title(printable(title))
    pdf.set_author(printable(inst["title"]))
    pdf.set_creator(PLATFORM)
    pdf.set_subject(printable(f"{report['period']['from']} – {report['period']['to']}"))
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_font("serif", size=11)
    pdf.cell(0, 7, PLATFORM, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif-bold", size=18)
    pdf.multi_cell(0, 10, printable(title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif", size=10)
    pdf.cell(0, 6, printable(
        f"报告期间 {report['period']['from']} 至 {report['period']['to']}  ·  "
        f"生成时间 {report['generated'][:16].replace('T', ' ')}"), align="C",
        new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "一、基本情况与业务量")
    _table(pdf, ["项目", "数值"],
           reports.summary_rows(report, LANG)[:3] + reports.count_rows(report, LANG),
           widths=(60, 114))

    _heading(pdf, "二、办理时效(工作日)")
    limits = report["limits"]
    pdf.set_font("serif", size=9)
    pdf.multi_cell(0, 5, printable(
        f"受理时限 {limits['acceptance']} 个工作日(自提交或补正后重新提交起算);"
        f"审查时限 {limits['review']} 个工作日(自受理起算)。"),
        new_x="LMARGIN", new_y="NEXT")
    _table(pdf, reports.timeliness_headers(LANG), reports.timeliness_rows(report, LANG))
    _timeliness_bars(pdf, report)

    _heading(pdf, "三、异议")
    _table(pdf, ["项目", "数量"], reports.objection_rows(report, LANG), widths=(60, 114))
    note = report["objections"].get("note")
    if note:
        pdf.set_font("serif", size=9)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(0, 5, printable("注:" + reports.text(note, LANG)),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)

    _heading(pdf, "四、撤销登记")
    revocations = report["revocations"]
    pdf.set_font("serif", size=10)
    pdf.multi_cell(0, 6, printable(
        f"本期撤销登记 {revocations['count']} 件,其中被市级登记机构纠正 "
        f"{revocations['reversed']} 件。"), new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "五、当前逾期未办结")
    overdue = report["open_overdue"]
    pdf.set_font("serif", size=10)
    pdf.multi_cell(0, 6, printable(
        f"截至 {report['as_of']},逾期未办结申请 {overdue['count']} 件。"),
        new_x="LMARGIN", new_y="NEXT")
    if overdue["items"]:
        _table(pdf, ["申请编号", "当前状态", "截止日期", "逾期工作日"],
               [[item["application_id"], reports.text(item["state_label"], LANG), item["due"],
                 item["workdays_late"]] for item in overdue["items"][:MAX_LATE_ROWS]],
               widths=(74, 40, 30, 30), size=8)

    _heading(pdf, "六、超时办理明细")
    late_cases = [case for case in report["cases"] if not case["on_time"]]
    pdf.set_font("serif", size=10)
    if not late_cases:
        pdf.multi_cell(0, 6, "本期无超时办理的申请。", new_x="LMARGIN", new_y="NEXT")
    else:
        shown = late_cases[:MAX_LATE_ROWS]
        pdf.multi_cell(0, 6, printable(
            f"共 {len(late_cases)} 件" + (f",此处列出前 {len(shown)} 件,完整明细见 XLSX 报告"
                                          if len(shown) < len(late_cases) else "") + "。"),
            new_x="LMARGIN", new_y="NEXT")
        _table(pdf, ["环节", "数据名称", "登记主体", "起算", "办结", "用时", "时限"],
               [[reports.text(c["stage_label"], LANG), c["dataset"], c["registrant"],
                 c["started"], c["finished"], c["workdays"], c["limit"]] for c in shown],
               widths=(14, 50, 40, 22, 22, 12, 12), size=8)
    return bytes(pdf.output())
