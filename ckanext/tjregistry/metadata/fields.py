"""The registration catalogue's metadata beyond validation: search facets, index fields,
field groups for the forms and the completeness check before submission.

The schemas (``schemas/*.yaml``) are the source of truth for fields; this module
reads them through ckanext-scheming.
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

import pysolr

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.plugins.toolkit import _
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.common import prefetch
from ckanext.tjregistry.metadata import vocabularies

log = logging.getLogger(__name__)

# Facet field -> vocabulary giving its display labels.
FACET_VOCABULARIES: dict[str, str] = {
    "registration_status": "registration_status",
    "registrant_district": "district",
    "regist_object_type": "regist_object_type",
    "share_type": "share_type",
    "open_type": "open_type",
    "update_frequency": "update_frequency",
    "industry_code": "industry",
    "product_form": "product_form",
    "delivery_mode_ms": "delivery_mode",
    "spatial_ms": "district",
}

# List-valued fields stored as JSON and indexed as multi-valued ``<name>_ms`` fields.
MULTI_VALUED_FIELDS = ("spatial", "delivery_mode")


def _facet_titles() -> list[tuple[str, str]]:
    """Facet fields in display order, with titles in the request's language."""
    return [
        ("registration_status", _("Registration status")),
        ("regist_object_type", _("Object category")),
        ("registrant_district", _("District")),
        ("organization", _("Registrant")),
        ("share_type", _("Sharing attribute")),
        ("open_type", _("Opening attribute")),
        ("update_frequency", _("Update frequency")),
        ("industry_code", _("Industry")),
        ("tags", _("Keywords")),
        ("res_format", _("Formats")),
    ]


def dataset_facets(facets_dict: OrderedDict[str, Any], package_type: str) -> OrderedDict[str, Any]:
    """IFacets: the catalogue's facets replace CKAN's groups and licence facets."""
    facets: OrderedDict[str, Any] = OrderedDict()
    for field, title in _facet_titles():
        facets[field] = title
    if package_type == "data-product":
        facets["product_form"] = _("Product form")
    for field, title in facets_dict.items():
        if field not in facets and field not in ("groups", "license_id"):
            facets[field] = title
    return facets


def organization_facets(
    facets_dict: OrderedDict[str, Any], organization_type: str, package_type: str | None
) -> OrderedDict[str, Any]:
    facets = dataset_facets(facets_dict, package_type or "")
    facets.pop("organization", None)
    facets.pop("registrant_district", None)
    return facets


# ------------------------------------------------------------------ index ---
def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            loaded = json.loads(value)
        except ValueError:
            return []
        return [str(item) for item in loaded] if isinstance(loaded, list) else []
    return [value] if isinstance(value, str) and value else []


def index_fields(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Index hook: multi-valued facet fields, the registrant's district and its name.

    CKAN indexes only the organization's machine name (``hp-edu``); the registrant's
    title (和平区教育局) goes into the free-text field ``text``, which the default
    search (``q=``) reads, so that searching for a registrant finds its records.
    """
    for name in MULTI_VALUED_FIELDS:
        if name in pkg_dict:
            values = _as_list(pkg_dict[name])
            pkg_dict[f"{name}_ms"] = values
            # The plain key would hold the JSON text as one string; keep it searchable
            # as words instead.
            pkg_dict[name] = " ".join(values)
    owner_id = pkg_dict.get("owner_org")
    if owner_id:
        district, registrant_type, title = prefetch.memo(
            ("registrant_index_fields", owner_id), lambda: _registrant_index_fields(owner_id))
        if title:
            pkg_dict["text"] = [*_as_text_list(pkg_dict.get("text")), title]
        if district:
            pkg_dict["registrant_district"] = district
        if registrant_type:
            pkg_dict["registrant_type"] = registrant_type
    return pkg_dict


def _registrant_index_fields(owner_id: str) -> tuple[str | None, str | None, str | None]:
    owner = model.Group.get(owner_id)
    if owner is None:
        return None, None, None
    extras = owner.extras or {}
    return extras.get("district_code"), extras.get("registrant_type"), owner.title or None


def _as_text_list(value: Any) -> list[str]:
    if not value:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def reindex_renamed_registrant(sender: str, **kwargs: Any) -> None:
    """After ``organization_update``: if the organization's title changed, its datasets are
    indexed again, so that a search for the new name finds them (CKAN does not reindex
    datasets when their organization changes)."""
    result = kwargs.get("result")
    if not isinstance(result, dict) or not result.get("is_organization") or not result.get("id"):
        return
    from ckan.lib.search import SearchError, commit, rebuild
    try:
        if _indexed_registrant_title(result["id"]) in (None, result.get("title")):
            return
        package_ids = [row.id for row in model.Session.query(model.Package.id).filter(
            model.Package.owner_org == result["id"], model.Package.state == "active")]
        rebuild(package_ids=package_ids, defer_commit=True, quiet=True)
        commit()
    except (SearchError, pysolr.SolrError, OSError):
        # The update itself is done; a search index that cannot follow now is rebuilt
        # later (``ckan search-index rebuild``), it must not turn the update into an error.
        log.exception("Could not reindex the datasets of organization %s", result["id"])


def _indexed_registrant_title(org_id: str) -> str | None:
    """The organization title one of its indexed datasets carries, or None if none is indexed."""
    from ckan.lib.search.common import make_connection
    fq = [f'owner_org:"{org_id}"', f'site_id:"{tk.config.get("ckan.site_id")}"',
          "+entity_type:package"]
    found = make_connection().search(q="*:*", fq=fq, fl="data_dict", rows=1)
    for document in found.docs:
        organization = json.loads(document.get("data_dict") or "{}").get("organization") or {}
        return str(organization.get("title") or "")
    return None


def _language() -> str:
    try:
        return tk.h.lang() or "zh_Hans_CN"
    except RuntimeError:  # no request: API calls outside Flask, CLI
        return str(tk.config.get("ckan.locale_default") or "zh_Hans_CN")


def label_facets(search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
    """Search-result hook: facet items show vocabulary labels instead of codes."""
    lang = _language()
    for field, facet in (search_results.get("search_facets") or {}).items():
        vocabulary = FACET_VOCABULARIES.get(field)
        if not vocabulary:
            continue
        for item in facet.get("items", []):
            item["display_name"] = vocabularies.label(vocabulary, item.get("name", ""), lang)
    return search_results


# ------------------------------------------------------------------ forms ---
def field_groups(schema: dict[str, Any], fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive fields grouped by their ``group`` key, with the group's label."""
    labels = {group["name"]: group.get("label") for group in schema.get("field_groups", [])}
    groups: list[dict[str, Any]] = []
    for field in fields:
        name = field.get("group")
        if not groups or groups[-1]["name"] != name:
            groups.append({"name": name, "label": labels.get(name), "fields": []})
        groups[-1]["fields"].append(field)
    return groups


# ----------------------------------------------------------- completeness ---
def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def completeness_errors(
    data: dict[str, Any], schema: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Fields marked ``registration_required`` that ``data`` leaves empty.

    ``data`` is a dataset (``package_show`` output, including restricted fields, so
    call it with the site user's context) or an organization. The registration
    workflow calls this before a registration is submitted; a draft may be saved
    without these fields.
    """
    if schema is None:
        if data.get("type") in (scheming_helpers.scheming_dataset_schemas() or {}):
            schema = scheming_helpers.scheming_get_dataset_schema(data["type"])
        else:
            schema = scheming_helpers.scheming_get_organization_schema("organization")
    fields = (schema or {}).get("dataset_fields") or (schema or {}).get("fields") or []
    message = _("Required before the registration can be submitted")
    return {
        field["field_name"]: [message]
        for field in fields
        if field.get("registration_required") and _is_blank(data.get(field["field_name"]))
    }
