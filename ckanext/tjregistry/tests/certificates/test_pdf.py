"""The certificate PDF: Chinese text with every glyph, embedded fonts, QR code, signed data."""
from __future__ import annotations

import datetime as dt
import io
import json

import pypdf
import pypdfium2
import pytest
import zxingcpp

from ckanext.tjregistry.certificates import codes, pdf, signing
from ckanext.tjregistry.certificates.content import build_content, printed_fields

INSTITUTION = "jizhou-data-center"


def _envelope(tmp_path, **overrides):
    store = signing.KeyStore(tmp_path / "keys")
    store.generate(INSTITUTION)
    code = str(codes.make_code("120119", 2026, "P", 12))
    values = dict(
        code=code,
        version=2,
        national_code="1393264726771781632103",
        registrant_name="天津市蓟州区农业农村委员会（乡村振兴局）",
        registrant_uscc="11120225MB1234567X",
        object_category="data-product",
        data_name="蓟州区“菜篮子”产销对接数据服务·2026版《盘山》—鱻龘",
        dataset_id="0b6f5c7e-0000-4000-8000-000000000001",
        registration_type="change",
        institution_name=INSTITUTION,
        institution_title="蓟州区数据发展中心",
        issue_date=dt.date(2026, 11, 27),
        valid_from=dt.date(2026, 11, 27),
        valid_until=dt.date(2028, 6, 30),
        operation_start=dt.date(2025, 7, 1),
        operation_end=dt.date(2028, 6, 30),
        verify_base_url="https://dj.example.tj.gov.cn",
    )
    values.update(overrides)
    content = build_content(**values)
    return store, signing.sign_content(store, INSTITUTION, content)


@pytest.fixture
def rendered(tmp_path):
    store, envelope = _envelope(tmp_path)
    return envelope, pdf.render(envelope, dt.datetime(2026, 11, 27, 2, 0))


def _page_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    return document[0].get_textpage().get_text_range()


def test_every_printed_value_is_extractable(rendered):
    envelope, data = rendered
    text = _page_text(data)
    squashed = "".join(text.split())
    assert "公共数据资源登记凭证" in squashed
    for name, value in printed_fields(envelope["content"]):
        assert "".join(name.split()) in squashed, name
        assert "".join(value.split()) in squashed, value
    assert "登记结果查询码" in squashed and "凭证版本" in squashed and "授权运营期限" in squashed


def test_every_character_is_drawn_with_ink(rendered):
    """Render the page and check each text character's box has dark pixels in it."""
    _, data = rendered
    document = pypdfium2.PdfDocument(data)
    page = document[0]
    scale = 4
    image = page.render(scale=scale).to_pil().convert("L")
    height = page.get_height()
    textpage = page.get_textpage()
    checked = 0
    for index in range(textpage.count_chars()):
        char = textpage.get_text_range(index, 1)
        if not char.strip():
            continue
        left, bottom, right, top = textpage.get_charbox(index)
        box = (
            int(left * scale),
            int((height - top) * scale),
            int(right * scale) + 1,
            int((height - bottom) * scale) + 1,
        )
        darkest = min(image.crop(box).getdata())
        assert darkest < 160, f"no ink for {char!r} at {box}"
        checked += 1
    assert checked > 200


def test_fonts_are_embedded_subsets(rendered):
    _, data = rendered
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    base_fonts = set()
    for font in fonts.values():
        font = font.get_object()
        assert font["/Subtype"] == "/Type0"
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile3" in descriptor or "/FontFile2" in descriptor
        prefix, _, name = str(font["/BaseFont"]).lstrip("/").partition("+")
        assert len(prefix) == 6 and prefix.isupper(), "not a subset"
        base_fonts.add(name)
    assert "NotoSerifCJKSC" in base_fonts
    # A subset: the whole Noto Serif CJK collection is tens of megabytes.
    assert len(data) < 400_000


def test_qr_code_decodes_to_the_verification_url(rendered):
    envelope, data = rendered
    image = pypdfium2.PdfDocument(data)[0].render(scale=3).to_pil()
    results = zxingcpp.read_barcodes(image)
    qr_texts = [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]
    expected = envelope["content"]["verify_url"]
    assert qr_texts == [expected]
    assert expected.startswith("https://dj.example.tj.gov.cn/registration/verify?code=TJ-120119-")


def test_signed_envelope_is_attached(rendered, tmp_path):
    envelope, data = rendered
    reader = pypdf.PdfReader(io.BytesIO(data))
    attached = reader.attachments[pdf.ATTACHMENT_NAME]
    assert len(attached) == 1
    assert json.loads(attached[0]) == envelope
    store = signing.KeyStore(tmp_path / "keys")
    assert signing.verify_envelope(store, json.loads(attached[0])).genuine


def test_signature_is_printed(rendered):
    envelope, data = rendered
    squashed = "".join(_page_text(data).split())
    assert envelope["signature"] in squashed
    assert envelope["key_id"] in squashed


def test_characters_the_fonts_lack_are_refused(tmp_path):
    _, envelope = _envelope(tmp_path, registrant_name="表情😀公司")
    with pytest.raises(pdf.MissingGlyphsError) as caught:
        pdf.render(envelope)
    assert caught.value.characters == "😀"


def test_optional_rows_are_left_out(tmp_path):
    _, envelope = _envelope(
        tmp_path,
        national_code=None,
        version=1,
        object_category="data-resource",
        registration_type="initial",
        operation_start=None,
        operation_end=None,
    )
    squashed = "".join(_page_text(pdf.render(envelope)).split())
    assert "登记结果查询码" not in squashed
    assert "授权运营期限" not in squashed
    assert "凭证版本" not in squashed
    assert "公共数据资源" in squashed and "首次登记" in squashed


def test_long_values_stay_clear_of_the_seal_and_qr_code(tmp_path):
    _, envelope = _envelope(tmp_path, data_name="和平区公共交通运营数据" * 20)
    document = pypdfium2.PdfDocument(pdf.render(envelope))
    page = document[0]
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    marks_top = (297 - 196) / 25.4 * 72  # 196 mm from the top, in PDF points from the bottom
    end_of_rows = text.index("第 2 版") + len("第 2 版")
    assert textpage.get_text_range(0, end_of_rows).endswith("第 2 版")
    for index in range(end_of_rows):
        _, bottom, _, _ = textpage.get_charbox(index)
        assert bottom > marks_top, (index, textpage.get_text_range(index, 1))
    squashed = "".join(text.split())
    assert envelope["content"]["data_name"] in squashed
