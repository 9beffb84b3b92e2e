"""Template helpers of the registration metadata (schemas, vocabularies, restricted fields)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.metadata import access, vocabularies
from ckanext.tjregistry.metadata import fields as metadata


@registry.helper
def tjregistry_vocabulary_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """Scheming ``choices_helper``: the choices of the field's ``vocabulary``."""
    return vocabularies.choices(field["vocabulary"], field.get("vocabulary_values"))


@registry.helper
def tjregistry_vocabulary_label(vocabulary: str, value: str) -> str:
    return vocabularies.label(vocabulary, value, tk.h.lang() or "zh_Hans_CN")


@registry.helper
def tjregistry_field_groups(
    schema: dict[str, Any], fields: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return metadata.field_groups(schema, fields)


@registry.helper
def tjregistry_is_sysadmin() -> bool:
    """Whether the current user may change platform-managed organization fields."""
    user = tk.current_user
    return bool(user and user.is_authenticated and getattr(user, "sysadmin", False))


@registry.helper
def tjregistry_restricted_fields(dataset_type: str | None = None) -> list[str]:
    return sorted(access.restricted_dataset_fields(dataset_type))


@registry.helper
def tjregistry_form_field(field: dict[str, Any]) -> dict[str, Any]:
    """A copy of a schema field whose input names its help text and its "required before
    the registration" mark with ``aria-describedby`` (the ids are made by
    templates/scheming/form_snippets/help_text.html), so screen readers read them with it."""
    name = field["field_name"]
    described = []
    if field.get("registration_required") and not field.get("required"):
        described.append(f"field-{name}-registration-required")
    if field.get("help_text"):
        described.append(f"field-{name}-help")
    if not described:
        return field
    attrs = dict(field.get("form_attrs") or {})
    attrs["aria-describedby"] = " ".join([*filter(None, [attrs.get("aria-describedby")]),
                                          *described])
    return {**field, "form_attrs": attrs}
