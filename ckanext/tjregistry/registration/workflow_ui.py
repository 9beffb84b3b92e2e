"""Template helpers of the registration workflow (exported through helpers.py)."""
from __future__ import annotations

from typing import Any

import ckan.lib.helpers as h
import ckan.plugins.toolkit as tk
from ckan.common import current_user

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.registration import notifications, workflow


def _lang() -> str:
    return "en" if (h.lang() or "").startswith("en") else "zh_Hans_CN"


@registry.helper
def tjregistry_wf_label(label: dict[str, str] | None) -> str:
    """The current language's text of a ``{zh_Hans_CN:, en:}`` label from the state table."""
    if not label:
        return ""
    return label.get(_lang()) or label.get("zh_Hans_CN") or ""


@registry.helper
def tjregistry_wf_state(state: str | None) -> str:
    return workflow.state_label(state, _lang())


@registry.helper
def tjregistry_wf_type(application_type: str | None) -> str:
    return tjregistry_wf_label(workflow.APPLICATION_TYPE_LABELS.get(application_type or ""))


@registry.helper
def tjregistry_wf_ground(ground: str | None) -> str:
    return tjregistry_wf_label(workflow.GROUND_LABELS.get(ground or "")) or (ground or "")


@registry.helper
def tjregistry_wf_role(role: str | None) -> str:
    return tjregistry_wf_label(workflow.ROLE_LABELS.get(role or "")) or (role or "")


@registry.helper
def tjregistry_wf_routing(reason: str | None) -> str:
    return tjregistry_wf_label(workflow.ROUTING_LABELS.get(reason or "")) or (reason or "")


@registry.helper
def tjregistry_wf_transition(name: str | None) -> str:
    key = (name or "").split(":")[0]
    transition = workflow.TRANSITION_BY_NAME.get(key)
    label = transition.label if transition else workflow.EVENT_LABELS.get(key)
    return tjregistry_wf_label(label) if label else (name or "")


@registry.helper
def tjregistry_wf_status(status: str | None) -> str:
    return workflow.state_label(status, _lang()) if status in workflow.STATE_BY_NAME else {
        "pending": workflow.L("登记办理中", "Pending"),
        "publicity": workflow.L("公示中", "In publicity"),
    }.get(status or "", {}).get(_lang(), status or "")


@registry.helper
def tjregistry_wf_unread() -> int:
    """Unread workflow notifications of the logged-in user."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    return notifications.unread_count(current_user.id)


@registry.helper
def tjregistry_wf_notifications(limit: int = 5) -> dict[str, Any]:
    """The logged-in user's latest workflow notifications (for the dashboard)."""
    if not getattr(current_user, "is_authenticated", False):
        return {"unread": 0, "results": []}
    return tk.get_action("registration_notification_list")(
        {"user": current_user.name}, {"limit": limit})


@registry.helper
def tjregistry_wf_registration_status(package_id: str) -> str:
    return workflow.registration_status(package_id)


@registry.helper
def tjregistry_wf_open_application(package_id: str) -> dict[str, Any] | None:
    """The dataset's open application as the logged-in user may see it, or None: while
    one is under way, nobody is offered to apply again."""
    user = current_user.name if getattr(current_user, "is_authenticated", False) else ""
    try:
        status = tk.get_action("registration_status_show")(
            {"user": user}, {"package_id": package_id})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return None
    return status["open_application"]


HELPER_NAMES = (
    "tjregistry_wf_label", "tjregistry_wf_state", "tjregistry_wf_type", "tjregistry_wf_ground",
    "tjregistry_wf_routing", "tjregistry_wf_transition", "tjregistry_wf_status",
    "tjregistry_wf_unread", "tjregistry_wf_registration_status", "tjregistry_wf_notifications",
    "tjregistry_wf_open_application",
)
