"""Template helpers of the certificates (registered with ``@registry.helper``)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import issuance
from ckanext.tjregistry.certificates.content import STATUS_LABELS, label
from ckanext.tjregistry.common import registry


@registry.helper
def tjregistry_certificate_status(status: str | None) -> str:
    """A certificate status in the page's language: 有效 / Valid, 已过期 / Expired ..."""
    lang = "zh" if (tk.h.lang() or "zh").startswith("zh") else "en"
    return label(STATUS_LABELS, status, lang)


@registry.helper
def tjregistry_certificate_of(package_id: str) -> dict[str, str] | None:
    """The current certificate of a dataset (code, status, PDF address), or None."""
    certificate = issuance.current_for_package(package_id) if package_id else None
    if certificate is None:
        return None
    return {"code": certificate.code, "status": issuance.effective_status(certificate),
            "pdf_url": tk.h.url_for("tjregistry_certificates.certificate_pdf",
                                    code=certificate.code)}
