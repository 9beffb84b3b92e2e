"""Dataset hooks (called from indexing.py): certificate facts on datasets.

Adds ``registration_code``, ``national_code``, ``certificate_status`` and
``certificate_valid_until`` (ISO date) to package_show output (None when the
dataset has no certificate) and to the Solr document (only when it has one), so
that ``fq=certificate_status:valid`` and look-ups by code work in search.
"""
from __future__ import annotations

import json
from typing import Any

from ckanext.tjregistry.certificates import issuance

FIELDS = ("registration_code", "national_code", "certificate_status", "certificate_valid_until")


def _facts(package_id: str | None) -> dict[str, Any]:
    certificate = issuance.current_for_package(package_id) if package_id else None
    if certificate is None:
        return dict.fromkeys(FIELDS)
    return {
        "registration_code": certificate.code,
        "national_code": certificate.national_code,
        "certificate_status": issuance.effective_status(certificate),
        "certificate_valid_until": certificate.valid_until.isoformat(),
    }


def show_hook(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    pkg_dict.update(_facts(pkg_dict.get("id")))
    return pkg_dict


def index_hook(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    facts = _facts(pkg_dict.get("id"))
    for key, value in facts.items():
        if value is None:
            pkg_dict.pop(key, None)
        else:
            pkg_dict[key] = value
    # Search results are served from the stored validated dict: they show the code too.
    stored = pkg_dict.get("validated_data_dict")
    if stored:
        validated = json.loads(stored)
        validated.update(facts)
        pkg_dict["validated_data_dict"] = json.dumps(validated)
    return pkg_dict
