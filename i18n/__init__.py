"""Message catalogues of ckanext-tjregistry (gettext domain ``ckanext-tjregistry``).

``i18n/<locale>/LC_MESSAGES/ckanext-tjregistry.po`` is the source, extracted and
updated with ``make i18n``. The ``.mo`` files are compiled when the package is
built; in a source checkout the plugin compiles any catalogue whose ``.po`` is
newer than its ``.mo`` at start-up, so edits to a ``.po`` take effect on restart.
"""
from __future__ import annotations

import logging
from pathlib import Path

DOMAIN = "ckanext-tjregistry"
DIRECTORY = Path(__file__).resolve().parent

log = logging.getLogger(__name__)


def compile_catalogues(directory: Path = DIRECTORY, only_stale: bool = True) -> list[Path]:
    """Compile ``*.po`` to ``*.mo``; returns the ``.mo`` files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if only_stale and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name, domain=DOMAIN)
        try:
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        except OSError as error:  # a read-only installation keeps its built catalogues
            log.warning("cannot compile %s: %s", po_path, error)
            continue
        written.append(mo_path)
    return written
