"""What the home page shows: public facts only, read fresh on every request.

Everything here is asked as an anonymous caller, whoever is logged in, so the home page
shows the same public register to everyone: the figures come from the public catalogue
(the search permission labels decide, ``registration/visibility.py``), the latest
registrations from the public registration query (``publicity/public_query.py``) and
the notices from the running publicity list (``publicity/period.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk

RESOURCE = "data-resource"
PRODUCT = "data-product"
LATEST = 6


def _anonymous() -> dict[str, Any]:
    """A fresh action context of nobody in particular (CKAN keeps state in contexts)."""
    return {"user": "", "auth_user_obj": None}


@dataclass(frozen=True)
class Figures:
    resources: int
    products: int
    registrants: int


def figures() -> Figures:
    """Registered resources, registered products and the registrants holding them, as
    far as the public catalogue shows them."""
    search = tk.get_action("package_search")(_anonymous(), {
        "q": "*:*",
        "fq": f'+dataset_type:("{RESOURCE}" OR "{PRODUCT}") +registration_status:registered',
        "rows": 0,
        "facet.field": ["dataset_type", "owner_org"],
        "facet.limit": -1,
        "facet.mincount": 1,
    })
    facets = {field: {item["name"]: item["count"] for item in facet.get("items", [])}
              for field, facet in (search.get("search_facets") or {}).items()}
    by_type = facets.get("dataset_type") or {}
    return Figures(resources=int(by_type.get(RESOURCE, 0)),
                   products=int(by_type.get(PRODUCT, 0)),
                   registrants=len(facets.get("owner_org") or {}))


def latest_registrations(limit: int = LATEST) -> list[dict[str, Any]]:
    """The most recently changed registrations in force, from the public query."""
    result = tk.get_action("registration_query")(
        _anonymous(), {"status": "registered", "limit": limit})
    return result["results"]


def latest_notices(limit: int = LATEST) -> dict[str, Any]:
    """Running publicity notices, newest first, with their total."""
    return tk.get_action("registration_publicity_list")(_anonymous(), {"limit": limit})
