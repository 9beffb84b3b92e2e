"""Message catalogues of ckanext-tjregistry (gettext domain ``ckanext-tjregistry``).

``i18n/<locale>/LC_MESSAGES/ckanext-tjregistry.po`` is the source of this extension's
own strings, extracted and updated with ``make i18n``.

``i18n/<locale>/LC_MESSAGES/ckan-overrides.po`` corrects CKAN's own strings: CKAN's
``msgid`` with the right ``msgstr`` (CKAN's Chinese catalogue leaves many strings of the
pages this platform uses untranslated and has wrong ones, 登陆 for 登录). It is merged
into the extension's ``.mo`` when the catalogue is compiled. Flask-Babel loads CKAN's
``ckan`` domain first and every plugin's domain after it, merging later catalogues over
earlier ones, so the extension's translation of a CKAN ``msgid`` wins. Keeping the
corrections in a file of their own means ``make i18n`` (``pybabel update
--ignore-obsolete``, which drops every ``msgid`` this extension's code does not use) never
removes them.

The ``.mo`` files are compiled when the package is built (setup.py calls
:func:`compile_catalogues`); in a source checkout the plugin compiles any catalogue older
than its ``.po`` or overrides file at start-up, so edits take effect on restart.
"""
from __future__ import annotations

import gettext
import hashlib
import logging
import struct
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

DOMAIN = "ckanext-tjregistry"
OVERRIDES = "ckan-overrides"
DIRECTORY = Path(__file__).resolve().parent
# A message of its own context in the compiled catalogue: the fingerprint of the sources.
_BUILD_CONTEXT = "ckanext-tjregistry build"

log = logging.getLogger(__name__)


def _sources(po_path: Path) -> list[Path]:
    """The files a locale's ``.mo`` is compiled from: its ``.po`` and, if any, overrides."""
    overrides = po_path.with_name(f"{OVERRIDES}.po")
    return [po_path, overrides] if overrides.exists() else [po_path]


def _fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def is_stale(po_path: Path) -> bool:
    """Whether the ``.mo`` is older than its sources, or was compiled without the current
    overrides (``pybabel compile`` knows nothing of them): the ``.mo`` records the
    fingerprint of the sources it was merged from."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return True
    built = mo_path.stat().st_mtime
    sources = _sources(po_path)
    if any(source.stat().st_mtime > built for source in sources):
        return True
    if len(sources) == 1:
        return False
    try:
        with mo_path.open("rb") as mo_file:
            recorded = gettext.GNUTranslations(mo_file).pgettext(_BUILD_CONTEXT, OVERRIDES)
    except (OSError, ValueError, struct.error):  # unreadable: compile it again
        return True
    return recorded != _fingerprint(sources)


def merged_catalogue(po_path: Path) -> Catalog:
    """The extension's catalogue of one locale with the corrections of CKAN's strings.

    A ``msgid`` translated in the extension's own ``.po`` keeps that translation: the
    overrides only add CKAN's strings.
    """
    from babel.messages.pofile import read_po

    locale = po_path.parent.parent.name
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale, domain=DOMAIN)
    for source in _sources(po_path)[1:]:
        with source.open("rb") as overrides_file:
            overrides = read_po(overrides_file, locale=locale)
        for message in overrides:
            if not message.id or message.fuzzy:
                continue
            own = catalog.get(message.id, message.context)
            if own is not None and own.string and (not isinstance(own.string, tuple)
                                                   or all(own.string)):
                continue
            if own is None:
                catalog[message.id] = message
            else:  # the extension uses the msgid too but left it untranslated
                own.string = message.string
    if len(_sources(po_path)) > 1:
        catalog.add(OVERRIDES, _fingerprint(_sources(po_path)), context=_BUILD_CONTEXT)
    return catalog


def compile_catalogues(directory: Path = DIRECTORY, only_stale: bool = True) -> list[Path]:
    """Compile each locale's ``.po`` (with its overrides) to ``.mo``; returns the files
    written."""
    from babel.messages.mofile import write_mo

    written = []
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        if only_stale and not is_stale(po_path):
            continue
        catalog = merged_catalogue(po_path)
        mo_path = po_path.with_suffix(".mo")
        try:
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        except OSError as error:  # a read-only installation keeps its built catalogues
            log.warning("cannot compile %s: %s", po_path, error)
            continue
        written.append(mo_path)
    return written
