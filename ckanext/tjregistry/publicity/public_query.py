"""The public registration query (登记信息查询, Art. 24).

Anyone may look up registrations (datasets that are or were registered) by
registration code or national code, registrant, data name or keyword. Results
carry the public fields only: the search index never holds a restricted value
(see ``access.py``). For a caller entitled to a registrant's restricted fields
(its own members, institutions and data authorities with jurisdiction, sysadmins)
each result of that registrant also carries them, read through ``package_show``
with the caller's own context so that the same rules decide.
"""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.certificates import codes
from ckanext.tjregistry.certificates import hooks as certificate_hooks
from ckanext.tjregistry.common import jurisdiction
from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.registration import visibility

# Registrations the query finds: registered now, or registered once and since ended.
QUERY_STATUSES = ("registered", "expired", "revoked", "cancelled")
# Fields every result carries (the rest of the public schema fields follow).
SUMMARY_KEYS = (
    "id", "name", "title", "notes", "type", "owner_org", "registration_status",
    "registration_code", "national_code", "certificate_status", "certificate_valid_until",
    "metadata_modified",
)
MAX_ROWS = 100


def _quoted(text: str) -> str:
    """A Solr phrase: inside quotes only the backslash and the quote are special."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def searchable(text: str) -> bool:
    """Whether the text has anything a search can match (letters, digits, CJK)."""
    return bool(re.search(r"\w", text))


def keyword_query(text: str) -> str:
    """Every word of the user's text must occur; none of it is read as Solr syntax."""
    words = [word for word in re.split(r"\s+", text) if searchable(word)]
    return " AND ".join(f"text:{_quoted(word)}" for word in words) or "*:*"


def code_filter(raw: str) -> str:
    """A filter on the local registration code, or on the national code."""
    try:
        return f"registration_code:{_quoted(str(codes.parse(raw)))}"
    except codes.InvalidCode as error:
        compact = re.sub(r"\s", "", raw)
        if error.reason == "check":
            raise field_error("code", "登记编号校验位不符,可能输入有误",
                         "the check character does not match: the code has a typo") from None
        if re.fullmatch(r"[0-9A-Za-z]{6,64}", compact) and not compact.upper().startswith("TJ"):
            return f"national_code:{_quoted(compact)}"
        raise field_error("code", "登记编号格式不正确", str(error)) from None


def registrant_ids(text: str) -> list[str]:
    """Registrant organizations named ``text``: by id or name, or whose title contains it."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    groups = (model.Session.query(model.Group)
              .filter(model.Group.is_organization.is_(True), model.Group.state == "active")
              .filter(sa.or_(model.Group.id == text, model.Group.name == text,
                             model.Group.title.ilike(pattern, escape="\\")))
              .all())
    result = []
    for group in groups:
        profile = jurisdiction.profile(group)
        if profile is not None and profile.kind == "registrant":
            result.append(group.id)
    return sorted(result)


def public_fields(dataset_type: str) -> list[str]:
    schema = (scheming_helpers.scheming_dataset_schemas() or {}).get(dataset_type) or {}
    return [f["field_name"] for f in schema.get("dataset_fields", []) if not f.get("restricted")]


def _record(dataset: dict[str, Any]) -> dict[str, Any]:
    keys = list(SUMMARY_KEYS) + [k for k in public_fields(dataset.get("type") or "")
                                 if k not in SUMMARY_KEYS]
    record = {key: dataset.get(key) for key in keys if key in dataset}
    # Search results are built from the index's stored dict; the certificate facts are
    # read from the register itself.
    certificate_hooks.show_hook(record)
    org = dataset.get("organization") or {}
    record["registrant"] = {"id": org.get("id"), "name": org.get("name"),
                            "title": org.get("title")}
    return record


def _restricted(context: dict[str, Any], dataset: dict[str, Any]) -> dict[str, Any] | None:
    """The restricted fields of one result, if the caller may see them (else None)."""
    names = access.restricted_dataset_fields(dataset.get("type"))
    if not names or not access.may_see_dataset_restricted(context, dataset):
        return None
    full = tk.get_action("package_show")(
        {"user": context.get("user") or "", "ignore_auth": False}, {"id": dataset["id"]})
    return {name: full[name] for name in sorted(names) if full.get(name) not in (None, "", [])}


def query(context: dict[str, Any], *, code: str = "", registrant: str = "", name: str = "",
          q: str = "", status: str = "", limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Search registrations; see the module docstring for what a result holds."""
    if (q and not searchable(q)) or (name and not searchable(name)):
        return {"count": 0, "results": []}  # only punctuation: nothing can match
    filters = ['+dataset_type:("data-resource" OR "data-product")']
    if status:
        if status not in QUERY_STATUSES:
            raise field_error("status", "登记状态无效", f"status must be one of {QUERY_STATUSES}")
        filters.append(f"+registration_status:{status}")
    else:
        filters.append("+registration_status:(" + " OR ".join(QUERY_STATUSES) + ")")
    if code:
        filters.append("+" + code_filter(code))
    if registrant:
        ids = registrant_ids(registrant)
        if not ids:
            return {"count": 0, "results": []}
        filters.append("+owner_org:(" + " OR ".join(_quoted(i) for i in ids) + ")")
    if name:
        filters.append("+title:" + _quoted(name))
    # Ended registrations are outside the public catalogue (visibility.py) but stay
    # public facts here: the search runs over every public registration, whoever asks.
    filters.append("+capacity:public")
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    search = tk.get_action("package_search")(
        {"user": site_user},
        {"q": keyword_query(q), "fq": " ".join(filters),
         "rows": max(1, min(limit, MAX_ROWS)), "start": max(0, offset),
         "sort": "score desc, metadata_modified desc", "include_private": True})
    results = []
    for dataset in search["results"]:
        record = _record(dataset)
        record["in_catalogue"] = visibility.status_is_public(record.get("registration_status"))
        restricted = _restricted(context, dataset)
        if restricted is not None:
            record["restricted"] = restricted
        results.append(record)
    return {"count": search["count"], "results": results}
