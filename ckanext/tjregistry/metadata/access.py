"""Restricted (non-public) registration fields: who may see them, and stripping them everywhere.

Fields marked ``restricted: true`` in the scheming schemas (contacts, storage
location, security level, personal-information handling, evidence details,
internal review, agent details) may be seen by:

* sysadmins (including the site user);
* members, in any capacity, of the organization that owns the dataset (the registrant);
* members of an active registration institution or of a data authority whose
  jurisdiction covers the registrant: a municipal one covers every registrant, a
  district one the registrants of its district.

Everyone else never receives them. The guarantee does not rely on hiding values
at display time:

* the Solr document never contains a restricted value (not as a field, not as
  ``extras_<key>``, not in the stored ``data_dict``/``validated_data_dict``), so
  nothing can match it through ``q`` or ``fq``, ask for it through ``fl`` or count
  it in a facet, and ``package_search`` results never carry it, for anyone;
* ``package_show`` drops the fields for other callers and, for entitled ones,
  restores them from the database when the answer came from the search index;
* search parameters that name a restricted field are refused;
* the organization actions and the follow lists, which dictize without the
  dataset hooks, are wrapped to strip them too.

A context without a user (``ignore_auth`` alone, as used by activity recording
and indexing) is not entitled. Nor is an ``ignore_auth`` call whose user CKAN filled
in: inside a request CKAN names the logged-in user in every action call's context, so
an internal ``ignore_auth`` read (the activity plugin's copy of the dataset, say) would
otherwise be answered as the acting clerk. Such a call is answered as its user only
when the caller put the user object in the context (views and the API do) or named a
sysadmin; internal callers that need restricted values pass the site user
(``workflow.site_context``).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import ckan.lib.plugins as lib_plugins
import ckan.lib.search as search
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.dictization import model_dictize
from ckan.plugins.toolkit import _
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.metadata import vocabularies

OVERSIGHT_KINDS = ("institution", "authority")


# ---------------------------------------------------------------- schema ---
def _restricted(fields: Iterable[dict[str, Any]]) -> frozenset[str]:
    return frozenset(field["field_name"] for field in fields if field.get("restricted"))


def restricted_dataset_fields(dataset_type: str | None = None) -> frozenset[str]:
    """Restricted field names of one dataset type, or of every type when None."""
    schemas = scheming_helpers.scheming_dataset_schemas() or {}
    if dataset_type is not None:
        schema = schemas.get(dataset_type)
        return _restricted(schema["dataset_fields"]) if schema else frozenset()
    names: set[str] = set()
    for schema in schemas.values():
        names |= _restricted(schema["dataset_fields"])
    return frozenset(names)


def restricted_organization_fields() -> frozenset[str]:
    schema = scheming_helpers.scheming_get_organization_schema("organization")
    return _restricted(schema["fields"]) if schema else frozenset()


# ------------------------------------------------------------ entitlement ---
def viewer(context: dict[str, Any]) -> model.User | None:
    """The user on whose behalf an action runs, or None for anonymous/unnamed calls."""
    user = context.get("auth_user_obj")
    if isinstance(user, model.User):
        return user
    name = context.get("user")
    return model.User.get(name) if name else None


def _memberships(user: model.User) -> list[tuple[str, str]]:
    """(organization id, capacity) of the user's active organization memberships."""
    rows = (
        model.Session.query(model.Member.group_id, model.Member.capacity)
        .join(model.Group, model.Group.id == model.Member.group_id)
        .filter(model.Member.table_name == "user")
        .filter(model.Member.table_id == user.id)
        .filter(model.Member.state == "active")
        .filter(model.Group.is_organization.is_(True))
        .filter(model.Group.state == "active")
        .all()
    )
    return [(group_id, capacity) for group_id, capacity in rows]


def _oversight_scope(org: model.Group) -> str | None:
    """``"city"``, a district code, or None if the organization oversees nothing."""
    extras = org.extras or {}
    kind = extras.get("org_kind")
    if kind not in OVERSIGHT_KINDS:
        return None
    if kind == "institution" and extras.get("qualification_status") in ("suspended",
                                                                        "cancelled"):
        return None
    if extras.get("admin_level") == "city":
        return "city"
    district = extras.get("district_code")
    if extras.get("admin_level") == "district" and district not in (None, "",
                                                                   vocabularies.CITY_CODE):
        return str(district)
    return None


def oversight_scopes(user: model.User | None) -> set[str]:
    """``"city"`` and district codes the user oversees through active institutions or
    data authorities they are a member of."""
    if user is None:
        return set()
    scopes = set()
    for group_id, _capacity in _memberships(user):
        org = model.Group.get(group_id)
        scope = _oversight_scope(org) if org is not None else None
        if scope is not None:
            scopes.add(scope)
    return scopes


def owner_district(owner_org_id: str | None) -> str | None:
    """The district code of a registrant, or None for a municipal one."""
    owner = model.Group.get(owner_org_id) if owner_org_id else None
    district = (owner.extras or {}).get("district_code") if owner else None
    return None if district in (None, "", vocabularies.CITY_CODE) else str(district)


def may_see_restricted(user: model.User | None, owner_org_id: str | None) -> bool:
    """Whether ``user`` may see the restricted fields of what ``owner_org_id`` owns."""
    if user is None:
        return False
    if user.sysadmin:
        return True
    if not owner_org_id:
        return False
    owner = model.Group.get(owner_org_id)
    if owner is not None and any(group_id == owner.id for group_id, _ in _memberships(user)):
        return True
    scopes = oversight_scopes(user)
    return "city" in scopes or owner_district(owner_org_id) in scopes


def _named_by_caller(context: dict[str, Any]) -> bool:
    """Whether an ``ignore_auth`` context's user was set by its caller, not filled in.

    CKAN fills ``context["user"]`` from the logged-in user for any action called
    inside a request, but sets no ``auth_user_obj`` when auth is ignored; views and the
    API put the authenticated user object in the context themselves. A sysadmin named
    explicitly (the site user of internal reads) is trusted as well.
    """
    if isinstance(context.get("auth_user_obj"), model.User):
        return True
    reader = viewer(context)
    return bool(reader is not None and reader.sysadmin)


def may_see_dataset_restricted(context: dict[str, Any], pkg_dict: dict[str, Any]) -> bool:
    return may_see_restricted(viewer(context), pkg_dict.get("owner_org"))


# ------------------------------------------------------------- stripping ---
def _strip_keys(data: dict[str, Any], names: frozenset[str]) -> None:
    for name in names:
        data.pop(name, None)
    extras = data.get("extras")
    if isinstance(extras, list):
        data["extras"] = [
            extra for extra in extras
            if not (isinstance(extra, dict) and extra.get("key") in names)
        ]


def strip_dataset(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Remove every restricted field from a dataset dict, in place."""
    _strip_keys(pkg_dict, restricted_dataset_fields())
    return pkg_dict


def strip_organization(org_dict: dict[str, Any]) -> dict[str, Any]:
    _strip_keys(org_dict, restricted_organization_fields())
    return org_dict


def _restore_dataset(pkg_dict: dict[str, Any], names: frozenset[str]) -> None:
    """Put back restricted values an index-cached ``package_show`` answer lacks."""
    package = model.Package.get(pkg_dict.get("id"))
    if package is None:
        return
    stored = {name: value for name, value in (package.extras or {}).items() if name in names}
    extras = pkg_dict.get("extras")
    if isinstance(extras, list) and any(isinstance(e, dict) and "key" in e for e in extras):
        present = {extra.get("key") for extra in extras}
        extras.extend({"key": name, "value": value}
                      for name, value in sorted(stored.items()) if name not in present)
        return
    if all(name in pkg_dict for name in stored):
        return
    context = {"model": model, "session": model.Session}
    full = model_dictize.package_dictize(package, context)
    plugin = lib_plugins.lookup_package_plugin(full["type"])
    validated, _errors = lib_plugins.plugin_validate(
        plugin, context, full, plugin.show_package_schema(), "package_show")
    for name in names:
        if name in validated:
            pkg_dict[name] = validated[name]


def filter_shown_dataset(context: dict[str, Any], pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """``package_show`` hook, run last: restricted fields only for entitled viewers."""
    names = restricted_dataset_fields()
    if context.get("for_update") and context.get("user"):
        # Read-modify-write inside an update the caller is already authorised for
        # (resource_create/update/delete); the dict is written back, never returned.
        entitled = True
    elif context.get("ignore_auth"):
        entitled = _named_by_caller(context) and may_see_dataset_restricted(context, pkg_dict)
    else:
        entitled = may_see_dataset_restricted(context, pkg_dict)
    if entitled:
        _restore_dataset(pkg_dict, names & restricted_dataset_fields(pkg_dict.get("type")))
    else:
        _strip_keys(pkg_dict, names)
    return pkg_dict


def strip_index_document(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Index hook, run last: no restricted value reaches Solr in any form."""
    names = restricted_dataset_fields()
    for name in names:
        for key in (name, f"extras_{name}", f"res_extras_{name}", f"{name}_ms"):
            pkg_dict.pop(key, None)
    for stored in ("data_dict", "validated_data_dict"):
        if pkg_dict.get(stored):
            pkg_dict[stored] = _strip_json(pkg_dict[stored], names)
    return pkg_dict


def _strip_json(raw: str, names: frozenset[str]) -> str:
    """A stored JSON dataset without restricted keys (``data_dict`` nests the validated one)."""
    document = json.loads(raw)
    _strip_keys(document, names)
    if isinstance(document.get("validated_data_dict"), str):
        document["validated_data_dict"] = _strip_json(document["validated_data_dict"], names)
    return json.dumps(document)


def _field_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = sorted({re.escape(n) for n in names}, key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(
        r"(?<![\w.])(?:extras_|res_extras_)?(?:" + "|".join(alternatives) + r")(?:_ms)?\s*:",
        re.IGNORECASE,
    )


def _mentions_restricted(value: Any, pattern: re.Pattern[str]) -> bool:
    if isinstance(value, str):
        return bool(pattern.search(value))
    if isinstance(value, list | tuple):
        return any(_mentions_restricted(item, pattern) for item in value)
    return False


def _names_restricted(value: Any, names: frozenset[str]) -> bool:
    """Whether a field list (``fl``, ``facet.field``, ``sort``) names a restricted field."""
    items = value if isinstance(value, list | tuple) else [value]
    keys = re.split(r"[\s,\[\]\"']+", " ".join(str(item or "") for item in items))
    for key in filter(None, keys):
        for prefix in ("extras_", "res_extras_"):
            if key.startswith(prefix):
                key = key[len(prefix):]
        if key.endswith("_ms"):
            key = key[:-3]
        if key in names:
            return True
    return False


def guard_search_params(search_params: dict[str, Any]) -> dict[str, Any]:
    """Search hook: refuse queries, filters, fields and facets on restricted fields.

    Raises CKAN's SearchQueryError, which the API answers with 400/409 and the
    search page with a 400 page.
    """
    names = restricted_dataset_fields()
    pattern = _field_pattern(names)
    if pattern is None:
        return search_params
    refused = [key for key in ("q", "fq", "fq_list")
               if _mentions_restricted(search_params.get(key), pattern)]
    refused += [key for key in ("fl", "facet.field", "sort")
                if search_params.get(key) and _names_restricted(search_params.get(key), names)]
    if refused:
        raise search.SearchQueryError(
            _("Restricted fields cannot be searched, sorted, faceted or returned: {params}")
            .format(params=", ".join(refused)))
    return search_params


def strip_search_results(
    search_results: dict[str, Any], search_params: dict[str, Any]
) -> dict[str, Any]:
    """Search-result hook: defence in depth over what the index already lacks."""
    names = restricted_dataset_fields()
    for result in search_results.get("results", []):
        if isinstance(result, dict):
            _strip_keys(result, names)
    for facets_key in ("facets", "search_facets"):
        facets = search_results.get(facets_key) or {}
        for name in list(facets):
            if _names_restricted([name], names):
                del facets[name]
    return search_results


# --------------------------------------------------------- organizations ---
def filter_organization(context: dict[str, Any], org_dict: dict[str, Any]) -> dict[str, Any]:
    if not org_dict.get("is_organization", True):
        return org_dict
    if not may_see_restricted(viewer(context), org_dict.get("id")):
        strip_organization(org_dict)
    return org_dict


def _filter_dataset_list(context: dict[str, Any], datasets: list[dict[str, Any]]) -> None:
    for dataset in datasets:
        if not may_see_dataset_restricted(context, dataset):
            strip_dataset(dataset)


@registry.action
@tk.chained_action
@tk.side_effect_free
def organization_show(original_action: Any, context: Any, data_dict: Any) -> dict[str, Any]:
    # CKAN would send a number or an object as the id into its query (a 500).
    if not isinstance((data_dict or {}).get("id", ""), str):
        raise tk.ValidationError(
            {"id": ["应为组织名称或标识 / must be an organization name or id"]})
    return filter_organization(context, original_action(context, data_dict))


@registry.action
@tk.chained_action
@tk.side_effect_free
def organization_followee_list(original_action: Any, context: Any, data_dict: Any) -> Any:
    result = original_action(context, data_dict)
    for org in result:
        filter_organization(context, org)
    return result


@registry.action
@tk.chained_action
@tk.side_effect_free
def dataset_followee_list(original_action: Any, context: Any, data_dict: Any) -> Any:
    result = original_action(context, data_dict)
    _filter_dataset_list(context, result)
    return result


@tk.chained_action
@tk.side_effect_free
def followee_list(original_action: Any, context: Any, data_dict: Any) -> Any:
    # The core action calls the per-type lists directly, bypassing the wrappers above.
    result = original_action(context, data_dict)
    for followee in result:
        if followee.get("type") == "dataset":
            _filter_dataset_list(context, [followee["dict"]])
        elif followee.get("type") == "organization":
            filter_organization(context, followee["dict"])
    return result


