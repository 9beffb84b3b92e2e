"""CKAN's own actions answered with a 4xx where they would end in a 500, or held to
the public register where they read the database around its permission labels.

Found by the read sweeps of ``tests/safeguards/test_channels.py``, which call every action with
the arguments a caller might send (or forget): CKAN reads some parameters without a
default and asserts on a logged-in user in some auth functions; ``package_list`` lists
every public dataset straight from the database.
"""
from __future__ import annotations

from typing import Any, cast

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.logic import schema as core_schema
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.registration import visibility

LOG_IN = "请先登录 / Log in first"


def _require_text(data_dict: DataDict, name: str) -> None:
    if not isinstance((data_dict or {}).get(name), str):
        raise tk.ValidationError({name: ["缺少值或不是文本 / Missing value or not text"]})


@registry.action
@tk.chained_action
@tk.side_effect_free
def group_autocomplete(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    _require_text(data_dict, "q")
    return original_action(context, data_dict)


@registry.action
@tk.chained_action
@tk.side_effect_free
def organization_autocomplete(original_action: Any, context: Context,
                              data_dict: DataDict) -> Any:
    _require_text(data_dict, "q")
    return original_action(context, data_dict)


@registry.action
@tk.chained_action
@tk.side_effect_free
def package_list(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    # CKAN's package_list selects every public dataset; the register lists its own.
    if visibility.public_statuses() is None:
        return original_action(context, data_dict)
    tk.check_access("package_list", context, data_dict)
    validated, errors = tk.navl_validate(dict(data_dict or {}),
                                         core_schema.default_package_list_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    return visibility.visible_package_names(validated)


@registry.action
@tk.chained_action
@tk.side_effect_free
def package_search(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    # An ignore_auth search skips the permission labels. Inside a request CKAN fills in the
    # logged-in user (or none), and internal callers such as the home page's featured
    # organizations render the answer to that person: it is answered with that person's
    # labels unless the caller named a sysadmin (the site user of internal reads).
    if context.get("ignore_auth") and visibility.public_statuses() is not None:
        reader = access.viewer(context)
        if reader is None or not reader.sysadmin:
            context = cast(Context, {**context, "ignore_auth": False})
    return original_action(context, data_dict)


@registry.action
@tk.chained_action
@tk.side_effect_free
def followee_list(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    # CKAN's followee_list runs the dataset list with ignore_auth; a followed dataset
    # that has left the register (or never entered it) is not shown to the follower, and
    # the rest are stripped of restricted fields (access.py).
    reader = access.viewer(context)
    return [entry for entry in access.followee_list(original_action, context, data_dict)
            if entry.get("type") != "dataset" or _may_see(reader, entry.get("dict") or {})]


def _may_see(reader: model.User | None, dataset: dict[str, Any]) -> bool:
    package = model.Package.get(dataset.get("id") or "")
    return package is not None and visibility.may_see(reader, package)


def _count(data_dict: DataDict, name: str) -> int | None:
    value = (data_dict or {}).get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise tk.ValidationError({name: ["须为非负整数 / Must be a non-negative integer"]})
    return number


@registry.action
@tk.chained_action
@tk.side_effect_free
def resource_search(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    # CKAN's resource_search selects resources of every public dataset; the register
    # answers with those of datasets the caller may see, counted and paged after that.
    if visibility.public_statuses() is None:
        return original_action(context, data_dict)
    offset, limit = _count(data_dict, "offset") or 0, _count(data_dict, "limit")
    unpaged = {k: v for k, v in (data_dict or {}).items() if k not in ("offset", "limit")}
    found = original_action(context, unpaged)
    reader = access.viewer(context)
    packages = {package_id: model.Package.get(package_id)
                for package_id in {r.get("package_id") for r in found["results"]}}
    visible = [resource for resource in found["results"]
               if packages.get(resource.get("package_id")) is not None
               and visibility.may_see(reader, packages[resource["package_id"]])]
    end = None if limit is None else offset + limit
    return {"count": len(visible), "results": visible[offset:end]}


def _logged_in(context: Context) -> bool:
    return isinstance(context.get("auth_user_obj"), model.User) or bool(
        context.get("user") and model.User.get(context["user"]))


@registry.auth
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


@registry.auth
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


# Pages that call an action without catching its refusal (a 500): the action's auth is
# checked first. CKAN's user autocomplete refuses anonymous callers once user details
# are not public (``ckan.auth.public_user_details``, set false by the plugin).
CHECKED_PAGES = {"api.user_autocomplete": "user_autocomplete"}


def page_refusal(endpoint: str | None, user: Any) -> str | None:
    """Why the caller may not use the page of ``endpoint`` (its action's auth), or None."""
    action = CHECKED_PAGES.get(endpoint or "")
    if action is None:
        return None
    context = cast(Context, {"user": getattr(user, "name", "") or "",
                             "auth_user_obj": user if isinstance(user, model.User) else None})
    try:
        tk.check_access(action, context, {})
    except tk.NotAuthorized as error:
        return str(error) or LOG_IN
    return None


def missing_page_parameters(endpoint: str | None, args: Any) -> list[str]:
    """The required query parameters a request to ``endpoint`` lacks."""
    return [name for name in REQUIRED_PAGE_PARAMETERS.get(endpoint or "", ())
            if not args.get(name)]


ACTIONS = {"group_autocomplete": group_autocomplete,
           "organization_autocomplete": organization_autocomplete,
           "followee_list": followee_list,
           "package_list": package_list,
           "package_search": package_search,
           "resource_search": resource_search}
AUTH_FUNCTIONS = {"package_collaborator_list": package_collaborator_list,
                  "activity_show": activity_show}
