"""Builders for publicity and objection tests: applications in publicity, evidence files."""
from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from typing import Any

from werkzeug.datastructures import FileStorage

from ckanext.tjregistry.common import workdays
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests.workflow_helpers import call_as, colleague, make_dataset, submit

# Opened data: Art. 20 requires publicity.
OPEN = {"open_type": "unconditional", "access_method": "open",
        "open_platform_url": "https://data.tj.gov.cn/open/1"}
# The worked example of GB 11643-1999, and a number with its check digit worked out by hand.
RESIDENT_ID = "11010519491231002X"
RESIDENT_ID_2 = "120101199003074516"

PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def png_bytes() -> bytes:
    """A real 1x1 PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def upload(data: bytes, filename: str, content_type: str = "application/pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def in_publicity(world: Any, org: str = "hp_reg", **fields: Any) -> tuple[dict, dict]:
    """A dataset of ``org`` and its application, approved into publicity by its reviewer."""
    clerk, reviewer = {"hp_reg": ("hp_clerk", "hp_reviewer"),
                       "city_reg": ("city_clerk", "city_reviewer"),
                       "bh_reg": ("bh_clerk", "bh_reviewer")}[org]
    dataset = make_dataset(world.orgs[org], **{**OPEN, **fields})
    app = submit(world.users[clerk], dataset)
    call_as(world.users[reviewer], "registration_accept", id=app["id"])
    app = call_as(colleague(world.users[reviewer]), "registration_approve", id=app["id"])
    assert app["state"] == "publicity"
    return dataset, app


def filing(app_id: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "application_id": app_id,
        "objector_name": "张三",
        "id_type": "resident_id",
        "id_number": RESIDENT_ID,
        "contact_phone": "13800138000",
        "contact_email": "zhangsan@example.org",
        "category": "rights_dispute",
        "statement": "该数据中的客流统计由本单位采集并享有权益,登记主体无权登记。",
        # Art. 20 相关当事人: how the objector is concerned.
        "interest": "competing_claim",
        "interest_statement": "本单位依据采集合同对这些客流统计数据享有权益。",
        "truthful": True,
        "evidence": [upload(PDF_BYTES, "采集合同.pdf")],
    }
    data.update(overrides)
    return data


def end_publicity(app_id: str, days_ago: int = 1) -> None:
    """Pretend the publicity period ended ``days_ago`` days ago."""
    with workflow.transaction() as session:
        session.query(Application).filter_by(id=app_id).update(
            {"publicity_end": workdays.local_today() - dt.timedelta(days=days_ago)})
