"""Template helpers of this extension (registered by ``tk.blanket.helpers``)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tjregistry import access, metadata, vocabularies
from ckanext.tjregistry.entity_labels import humanize_entity_type
from ckanext.tjregistry.workflow_ui import (
    tjregistry_wf_ground,
    tjregistry_wf_label,
    tjregistry_wf_notifications,
    tjregistry_wf_registration_status,
    tjregistry_wf_routing,
    tjregistry_wf_state,
    tjregistry_wf_status,
    tjregistry_wf_transition,
    tjregistry_wf_type,
    tjregistry_wf_unread,
)


def tjregistry_vocabulary_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """Scheming ``choices_helper``: the choices of the field's ``vocabulary``."""
    return vocabularies.choices(field["vocabulary"], field.get("vocabulary_values"))


def tjregistry_vocabulary_label(vocabulary: str, value: str) -> str:
    return vocabularies.label(vocabulary, value, tk.h.lang() or "zh_Hans_CN")


def tjregistry_field_groups(
    schema: dict[str, Any], fields: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return metadata.field_groups(schema, fields)


def tjregistry_is_sysadmin() -> bool:
    """Whether the current user may change platform-managed organization fields."""
    user = tk.current_user
    return bool(user and user.is_authenticated and getattr(user, "sysadmin", False))


def tjregistry_may_see_statistics() -> bool:
    """Whether the logged-in user may open the supervision pages (statistics, reports)."""
    from ckanext.tjregistry import statistics

    user = tk.current_user
    if not (user and user.is_authenticated):
        return False
    return statistics.viewer_area(tk.g.userobj or None) is not None


def tjregistry_restricted_fields(dataset_type: str | None = None) -> list[str]:
    return sorted(access.restricted_dataset_fields(dataset_type))


def tjregistry_publicity_terms() -> dict[str, Any]:
    """The configured publicity rule, period and closing time, for the public pages
    (application types labelled in the current language)."""
    from ckanext.tjregistry import publicity

    terms = publicity.terms()
    terms["application_types"] = [tjregistry_wf_label(label)
                                  for label in terms["application_types"]]
    return terms


def tjregistry_publicity_notice(package_id: str) -> str | None:
    """The id of the dataset's running publicity notice, for a link from search results."""
    from ckanext.tjregistry import publicity

    app = publicity.running_for_package(package_id)
    return app.id if app is not None else None


__all__: list[str] = [
    "humanize_entity_type",  # chained: CKAN's own, for the registration dataset types
    "tjregistry_field_groups",
    "tjregistry_is_sysadmin",
    "tjregistry_may_see_statistics",
    "tjregistry_publicity_notice",
    "tjregistry_publicity_terms",
    "tjregistry_restricted_fields",
    "tjregistry_vocabulary_choices",
    "tjregistry_vocabulary_label",
    "tjregistry_wf_ground",
    "tjregistry_wf_label",
    "tjregistry_wf_notifications",
    "tjregistry_wf_registration_status",
    "tjregistry_wf_routing",
    "tjregistry_wf_state",
    "tjregistry_wf_status",
    "tjregistry_wf_transition",
    "tjregistry_wf_type",
    "tjregistry_wf_unread",
]
