"""Template helpers of the publicity pages and of search results in publicity."""
from __future__ import annotations

from typing import Any

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.publicity import period as publicity
from ckanext.tjregistry.registration.workflow_ui import tjregistry_wf_label


@registry.helper
def tjregistry_publicity_terms() -> dict[str, Any]:
    """The configured publicity rule, period and closing time, for the public pages
    (application types labelled in the current language)."""
    terms = publicity.terms()
    terms["application_types"] = [tjregistry_wf_label(label)
                                  for label in terms["application_types"]]
    return terms


@registry.helper
def tjregistry_publicity_notice(package_id: str) -> str | None:
    """The id of the dataset's running publicity notice, for a link from search results."""
    app = publicity.running_for_package(package_id)
    return app.id if app is not None else None
