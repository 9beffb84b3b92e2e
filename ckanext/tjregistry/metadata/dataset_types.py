"""What a registrant may create: the registration types, and a URL name for every record.

The platform registers public data resources (``data-resource``) and data products and
services (``data-product``), each with its scheming schema. CKAN's generic ``dataset``
type has none of the registration metadata and cannot be applied for, so unless
``tjregistry.ui.generic_datasets`` is set, ``package_create`` refuses it (also when the
type is left out, which CKAN reads as ``dataset``) and ``/dataset/new`` offers the two
registration forms instead.

Titles are Chinese, which CKAN's slug preview cannot turn into a URL name; a record
created without one gets a readable name from its registrant (the organization's name)
and the government catalogue code, or the creation date, e.g. ``hp-edu-12010100123`` or
``hp-edu-20261207-a3f9``. The name is kept on every later edit that leaves it empty and
stays editable.
"""
from __future__ import annotations

import datetime
import re
import secrets
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjregistry.common import registry, workdays
from ckanext.tjregistry.metadata import repeating_rows

GENERIC_OPTION = "tjregistry.ui.generic_datasets"
REGISTRATION_TYPES = ("data-resource", "data-product")
NAME_MAX_LENGTH = 100  # CKAN's package name limit
_NOT_NAME_CHARACTERS = re.compile(r"[^a-z0-9_-]+")


def generic_datasets_allowed() -> bool:
    return tk.asbool(tk.config.get(GENERIC_OPTION))


def type_error() -> dict[str, list[str]]:
    return {"type": [
        "请选择登记类型:公共数据资源(data-resource)或公共数据产品和服务(data-product) / "
        "Choose what to register: a public data resource (data-resource) or a data "
        "product or service (data-product)"]}


@registry.action
@tk.chained_action
def package_create(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    dataset_type = (data_dict or {}).get("type") or "dataset"
    if dataset_type not in REGISTRATION_TYPES and not generic_datasets_allowed():
        raise tk.ValidationError(type_error())
    resources = data_dict.get("resources")
    if isinstance(resources, list):
        fields = repeating_rows.repeating_resource_fields()
        data_dict = dict(data_dict, resources=[dict(resource) for resource in resources])
        for resource in data_dict["resources"]:
            if isinstance(resource, dict):
                repeating_rows.drop_blank_rows(resource, fields)
    return original_action(context, data_dict)


def _slug(text: str) -> str:
    return _NOT_NAME_CHARACTERS.sub("-", text.lower()).strip("-_")


def _registrant_name(owner: Any) -> str:
    if not isinstance(owner, str) or not owner:
        return "dataset"
    group = model.Group.get(owner)
    return _slug(group.name) if group is not None else "dataset"


def _taken(name: str) -> bool:
    return model.Session.query(model.Package.id).filter(
        model.Package.name == name).first() is not None


def proposed_name(owner: Any, catalogue_code: Any, today: datetime.date) -> str:
    """The first free name from the registrant and the catalogue code (or date)."""
    base = _registrant_name(owner)
    code = _slug(catalogue_code) if isinstance(catalogue_code, str) else ""
    stem = f"{base}-{code}" if code else f"{base}-{today:%Y%m%d}-{secrets.token_hex(2)}"
    stem = stem[:NAME_MAX_LENGTH - 4].strip("-_")
    name, number = stem, 1
    while _taken(name):
        number += 1
        name = f"{stem}-{number}"
    return name


@registry.validator
def tjregistry_default_name(key: Any, data: dict[Any, Any], errors: Any,
                            context: Context) -> None:
    """An empty name becomes the record's current name (an edit) or a new one (create)."""
    value = data.get(key)
    if isinstance(value, str) and value.strip():
        return
    if value not in (None, "", tk.missing):
        return  # not text: name_validator reports it
    package = context.get("package")
    if package is not None and getattr(package, "name", None):
        data[key] = package.name
        return
    data[key] = proposed_name(data.get(("owner_org",)), data.get(("gov_catalog_code",)),
                              workdays.local_today())  # the date in Tianjin


@registry.helper
def tjregistry_creatable_dataset_types() -> list[str]:
    """The types an "add" button offers: the registration types (and ``dataset`` if on)."""
    return list(REGISTRATION_TYPES) + (["dataset"] if generic_datasets_allowed() else [])
