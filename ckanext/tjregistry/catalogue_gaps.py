"""Government data catalogue (政务数据目录) entries that have no registration (Art. 14, 27).

Tianjin links the registration catalogue with the government data catalogue: every
catalogue entry is a public data resource that must be registered. Once the
catalogue has been imported, an entry whose dataset has never been submitted for
registration counts against its unit in the statistics. Before any import there is
no catalogue to compare with, and the statistics say so.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NOT_IMPORTED = {"zh_Hans_CN": "尚未导入政务数据目录,未核对目录条目的登记情况。",
                "en": "The government data catalogue has not been imported; catalogue "
                      "entries were not checked."}


@dataclass
class Gaps:
    available: bool
    note: dict[str, str] | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)


def unregistered_entries(in_scope: Callable[[str], bool]) -> Gaps:
    """Catalogue entries of units for which ``in_scope(org_id)`` holds, not registered."""
    return Gaps(available=False, note=NOT_IMPORTED)
