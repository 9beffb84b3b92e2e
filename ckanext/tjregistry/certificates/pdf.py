"""The certificate PDF (登记凭证), in Chinese, with its signed data attached.

* Text uses Noto Serif CJK SC (and Noto Sans Mono CJK SC for the signature) from
  Debian's fonts-noto-cjk; fpdf2 embeds a subset of each font that holds only the
  glyphs used. Characters the fonts lack are refused before drawing, so a
  certificate never shows a blank where a character should be.
* The QR code (segno) is drawn as vector squares and encodes the public
  verification URL of the code.
* The signed envelope (signing.py) is attached as ``tjregistry-certificate.json``
  so that uploading the PDF to the verification page, or extracting the
  attachment and checking it offline with the published key, proves the content.
* The PDF itself is not signed with a PAdES signature: pyHanko signs with RSA,
  ECDSA or EdDSA keys in X.509 certificates and has no SM2, so it would need a
  second, non-SM2 key and certificate per institution that no reader trusts
  without a distributed root, alongside the SM2 signature that is the
  authoritative one. Instead the platform records the SHA-256 of the file it
  issues under the signed register record (files.py, register.py): an upload is
  an original only if it is byte for byte that file (verification.py).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import Any

import segno
from fontTools.ttLib import TTCollection
from fpdf import FPDF

from ckanext.tjregistry.certificates.content import printed_fields

ATTACHMENT_NAME = "tjregistry-certificate.json"
FONT_DIR = "/usr/share/fonts/opentype/noto"
SERIF_REGULAR = f"{FONT_DIR}/NotoSerifCJK-Regular.ttc"
SERIF_BOLD = f"{FONT_DIR}/NotoSerifCJK-Bold.ttc"
SANS_REGULAR = f"{FONT_DIR}/NotoSansCJK-Regular.ttc"
TITLE = "公共数据资源登记凭证"
PLATFORM = "天津市公共数据资源登记平台"
SEAL_RED = (200, 30, 30)
INK = (30, 30, 30)


class MissingGlyphsError(ValueError):
    """Text contains characters that the certificate fonts cannot draw."""

    def __init__(self, characters: str) -> None:
        super().__init__(f"the certificate fonts cannot draw: {characters}")
        self.characters = characters


@dataclass(frozen=True)
class FontFace:
    path: str
    family_name: str

    @functools.cached_property
    def index_and_cmap(self) -> tuple[int, frozenset[int]]:
        collection = TTCollection(self.path, lazy=True)
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == self.family_name:
                return index, frozenset(font.getBestCmap())
        raise FileNotFoundError(f"{self.family_name} not found in {self.path}")


@functools.cache
def _faces() -> dict[str, FontFace]:
    return {
        "serif": FontFace(SERIF_REGULAR, "Noto Serif CJK SC"),
        "serif-bold": FontFace(SERIF_BOLD, "Noto Serif CJK SC"),
        "mono": FontFace(SANS_REGULAR, "Noto Sans Mono CJK SC"),
    }


def add_fonts(pdf: FPDF) -> None:
    """Register the CJK faces (``serif``, ``serif-bold``, ``mono``) on ``pdf``."""
    for name, face in _faces().items():
        index, _ = face.index_and_cmap
        pdf.add_font(name, fname=face.path, collection_font_number=index)


def missing_glyphs(text: str, face: str = "serif") -> str:
    """Characters of ``text`` (other than whitespace) that ``face`` cannot draw."""
    _, cmap = _faces()[face].index_and_cmap
    missing = {c for c in text if not c.isspace() and ord(c) not in cmap}
    return "".join(sorted(missing))


def check_printable(content: dict[str, Any]) -> None:
    """Raise :class:`MissingGlyphsError` if any printed value cannot be drawn."""
    text = "".join(f"{name}{value}" for name, value in printed_fields(content))
    text += TITLE + PLATFORM + (content.get("institution") or {}).get("title", "")
    missing = missing_glyphs(text)
    if missing:
        raise MissingGlyphsError(missing)


def render(envelope: dict[str, Any], issued_at: dt.datetime | None = None) -> bytes:
    """The PDF bytes of the certificate whose signed envelope is ``envelope``."""
    content = envelope["content"]
    check_printable(content)
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 20, 20)
    for name, face in _faces().items():
        index, _ = face.index_and_cmap
        pdf.add_font(name, fname=face.path, collection_font_number=index)
    pdf.set_title(f"{TITLE} {content['code']}")
    pdf.set_subject(content.get("data_name") or "")
    pdf.set_author((content.get("institution") or {}).get("title") or PLATFORM)
    pdf.set_keywords(content["code"])
    pdf.set_creator(PLATFORM)
    if issued_at is not None:
        pdf.set_creation_date(issued_at.replace(tzinfo=dt.timezone.utc))
    pdf.add_page()
    _frame(pdf)
    _heading(pdf, content)
    bottom_of_fields = _fields(pdf, content)
    top_of_marks = max(bottom_of_fields + 2, 196.0)
    _seal(pdf, content, top_of_marks)
    _qr(pdf, content["verify_url"], top_of_marks)
    _signature(pdf, envelope)
    pdf.embed_file(
        bytes=json.dumps(envelope, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"),
        basename=ATTACHMENT_NAME,
        desc="登记凭证签名数据 (SM2/SM3) / signed certificate data",
        mime_type="application/json",
        modification_date=issued_at.replace(tzinfo=dt.timezone.utc) if issued_at else None,
    )
    return bytes(pdf.output())


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*SEAL_RED)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 184, 271)


def _heading(pdf: FPDF, content: dict[str, Any]) -> None:
    pdf.set_text_color(*INK)
    pdf.set_xy(20, 24)
    pdf.set_font("serif", size=12)
    pdf.cell(170, 8, PLATFORM, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif-bold", size=26)
    pdf.cell(170, 16, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif", size=11)
    pdf.cell(170, 8, f"登记编号 {content['code']}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*SEAL_RED)
    pdf.set_line_width(0.4)
    pdf.line(30, pdf.get_y() + 3, 180, pdf.get_y() + 3)


FIELDS_TOP = 66.0
FIELDS_BOTTOM = 204.0  # the seal and the QR code go below the fields
VALUE_WIDTH = 112.0
# (font size, line height, gap between rows) from roomiest to most compact.
FIELD_LAYOUTS = ((12, 8.0, 2.2), (11, 6.8, 1.6), (10, 5.8, 1.2), (9, 5.0, 1.0), (8, 4.2, 0.8))


def _fields_height(pdf: FPDF, rows: list[tuple[str, str]], size: int, line: float,
                   gap: float) -> float:
    pdf.set_font("serif", size=size)
    total = 0.0
    for _, value in rows:
        lines = pdf.multi_cell(VALUE_WIDTH, line, value, dry_run=True, output="LINES")
        total += max(1, len(lines)) * line + gap
    return total


def _fields(pdf: FPDF, content: dict[str, Any]) -> float:
    """Print the rows in the largest size that fits; return where they end."""
    rows = printed_fields(content)
    size, line, gap = FIELD_LAYOUTS[-1]
    for candidate in FIELD_LAYOUTS:
        if FIELDS_TOP + _fields_height(pdf, rows, *candidate) <= FIELDS_BOTTOM:
            size, line, gap = candidate
            break
    y = FIELDS_TOP
    for name, value in rows:
        pdf.set_xy(28, y)
        pdf.set_font("serif-bold", size=size)
        pdf.cell(42, line, name)
        pdf.set_xy(70, y)
        pdf.set_font("serif", size=size)
        pdf.multi_cell(VALUE_WIDTH, line, value, align="L", new_x="LMARGIN", new_y="NEXT")
        y = max(pdf.get_y(), y + line) + gap
    return y


def _seal(pdf: FPDF, content: dict[str, Any], top: float) -> None:
    """A red ring with the institution's name, marking where the signature applies."""
    institution = (content.get("institution") or {}).get("title") or ""
    radius = 20.0
    centre_x, centre_y = 62.0, top + radius + 2
    pdf.set_draw_color(*SEAL_RED)
    pdf.set_text_color(*SEAL_RED)
    pdf.set_line_width(1.0)
    pdf.circle(centre_x, centre_y, radius)
    pdf.set_font("serif-bold", size=9 if len(institution) <= 12 else 7)
    pdf.set_xy(centre_x - radius + 4, centre_y - 9)
    pdf.multi_cell(2 * radius - 8, 4.5, institution, align="C")
    pdf.set_font("serif-bold", size=10)
    pdf.set_xy(centre_x - radius + 3, centre_y + 4)
    pdf.cell(2 * radius - 6, 5, "电子签名", align="C")
    pdf.set_text_color(*INK)


def _qr(pdf: FPDF, url: str, top: float) -> None:
    code = segno.make(url, error="m", micro=False)
    rows = list(code.matrix_iter(scale=1, border=4))
    size = 40.0
    module = size / len(rows)
    left = 142.0
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(left, top, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(rows):
        for column_index, dark in enumerate(row):
            if dark:
                pdf.rect(
                    left + column_index * module,
                    top + row_index * module,
                    module,
                    module,
                    style="F",
                )
    pdf.set_font("serif", size=9)
    pdf.set_xy(left - 4, top + size + 0.5)
    pdf.cell(size + 8, 5, "扫码核验凭证真伪", align="C")


def _signature(pdf: FPDF, envelope: dict[str, Any]) -> None:
    pdf.set_xy(20, 258)
    pdf.set_font("serif", size=8)
    pdf.cell(
        170,
        4,
        f"电子签名 SM2/SM3 · 密钥 {envelope['key_id']} · 公钥见登记平台「签名公钥」页面",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("mono", size=7)
    pdf.set_x(20)
    pdf.multi_cell(170, 3.5, envelope["signature"], align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif", size=8)
    pdf.set_x(20)
    pdf.cell(
        170,
        4,
        f"核验地址 {envelope['content']['verify_url']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
