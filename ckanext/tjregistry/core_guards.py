"""CKAN's own actions answered with a 4xx where they would end in a 500.

Found by the read sweep of ``tests/test_channels.py``, which calls every action with
the arguments a caller might send (or forget): CKAN reads some parameters without a
default and asserts on a logged-in user in some auth functions.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

LOG_IN = "请先登录 / Log in first"


def _require_text(data_dict: DataDict, name: str) -> None:
    if not isinstance((data_dict or {}).get(name), str):
        raise tk.ValidationError({name: ["缺少值或不是文本 / Missing value or not text"]})


@tk.chained_action
@tk.side_effect_free
def group_autocomplete(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    _require_text(data_dict, "q")
    return original_action(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def organization_autocomplete(original_action: Any, context: Context,
                              data_dict: DataDict) -> Any:
    _require_text(data_dict, "q")
    return original_action(context, data_dict)


def _logged_in(context: Context) -> bool:
    return isinstance(context.get("auth_user_obj"), model.User) or bool(
        context.get("user") and model.User.get(context["user"]))


@tk.chained_auth_function
def package_collaborator_list(next_auth: Any, context: Context,
                              data_dict: DataDict) -> AuthResult:
    # CKAN's check asserts that the dataset and a user exist.
    if not _logged_in(context):
        return {"success": False, "msg": LOG_IN}
    package_id = (data_dict or {}).get("id")
    if not isinstance(package_id, str) or model.Package.get(package_id) is None:
        return {"success": False, "msg": "数据不存在 / Dataset not found"}
    return next_auth(context, data_dict)


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def activity_show(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    # The activity plugin's check reads ``include_data`` without a default (a KeyError for
    # every non-sysadmin); activity_show always returns the data.
    data_dict = dict(data_dict or {})
    data_dict.setdefault("include_data", True)
    return next_auth(context, data_dict)


# Pages that read query parameters without a default (CKAN's activity blueprint).
REQUIRED_PAGE_PARAMETERS = {
    "activity.package_changes_multiple": ("new_id", "old_id"),
    "activity.group_changes_multiple": ("new_id", "old_id"),
    "activity.organization_changes_multiple": ("new_id", "old_id"),
}


def missing_page_parameters(endpoint: str | None, args: Any) -> list[str]:
    """The required query parameters a request to ``endpoint`` lacks."""
    return [name for name in REQUIRED_PAGE_PARAMETERS.get(endpoint or "", ())
            if not args.get(name)]


ACTIONS = {"group_autocomplete": group_autocomplete,
           "organization_autocomplete": organization_autocomplete}
AUTH_FUNCTIONS = {"package_collaborator_list": package_collaborator_list,
                  "activity_show": activity_show}
